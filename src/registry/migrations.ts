// Append only: a released migration is never edited; a change is a new entry.
// Times are milliseconds since the epoch (INTEGER); addresses are IPv4 as integers.
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE users (
    id         INTEGER PRIMARY KEY,
    created_at INTEGER NOT NULL
  );

  CREATE TABLE devices (
    user_id             INTEGER NOT NULL REFERENCES users (id),
    device_id           INTEGER NOT NULL,
    status              TEXT    NOT NULL CHECK (status IN ('ACTIVE', 'DEACTIVATED')),
    created_at          INTEGER NOT NULL,
    activated_at        INTEGER NOT NULL,
    activated_by        TEXT    NOT NULL,
    deactivated_at      INTEGER,
    deactivated_by      TEXT,
    deactivation_reason TEXT,
    PRIMARY KEY (user_id, device_id)
  ) WITHOUT ROWID;

  CREATE TABLE sessions (
    id                INTEGER PRIMARY KEY,
    user_id           INTEGER NOT NULL,
    device_id         INTEGER NOT NULL,
    public_key        TEXT    NOT NULL,
    address           INTEGER NOT NULL,
    status            TEXT    NOT NULL CHECK (status IN ('ACTIVE', 'ENDING', 'ENDED')),
    started_at        INTEGER NOT NULL,
    ending_at         INTEGER,
    ended_at          INTEGER,
    end_reason        TEXT,
    ended_by          TEXT,
    last_handshake_at INTEGER,
    rx_bytes          INTEGER NOT NULL DEFAULT 0,
    tx_bytes          INTEGER NOT NULL DEFAULT 0,
    FOREIGN KEY (user_id, device_id) REFERENCES devices (user_id, device_id)
  );
  -- A key or an address belongs to at most one live (not ENDED) session: the database enforces it.
  CREATE UNIQUE INDEX sessions_live_key     ON sessions (public_key) WHERE status <> 'ENDED';
  CREATE UNIQUE INDEX sessions_live_address ON sessions (address)    WHERE status <> 'ENDED';
  -- The hot paths touch live sessions only, so ENDED history does not slow them down.
  CREATE INDEX sessions_live_by_device ON sessions (user_id, device_id) WHERE status <> 'ENDED';
  CREATE INDEX sessions_by_status      ON sessions (status, id);
  CREATE INDEX sessions_by_device      ON sessions (user_id, device_id, id);

  CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    actor      TEXT    NOT NULL,
    action     TEXT    NOT NULL,
    user_id    INTEGER,
    device_id  INTEGER,
    session_id INTEGER,
    reason     TEXT,
    outcome    TEXT    NOT NULL,
    detail     TEXT
  );
  CREATE INDEX audit_by_device ON audit_log (user_id, device_id, id);

  -- Small facts about the node that must survive a restart (e.g. the last reconcile report).
  CREATE TABLE node_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) WITHOUT ROWID;
  `,
  // Issue 14: repeated refusals share one row (count, last_at); retention prunes by time.
  `
  ALTER TABLE audit_log ADD COLUMN count   INTEGER NOT NULL DEFAULT 1;
  ALTER TABLE audit_log ADD COLUMN last_at INTEGER;
  -- Finds the refusal row a repeat joins (src/registry/audit.ts recordRefusal).
  CREATE INDEX audit_refusals ON audit_log (actor, action, outcome, user_id, device_id, id) WHERE outcome LIKE 'refused:%';
  -- Retention prunes the oldest rows first without a scan.
  CREATE INDEX audit_by_at ON audit_log (at);
  CREATE INDEX sessions_ended_at ON sessions (ended_at) WHERE status = 'ENDED';
  `,
  `
  -- Idempotency-Key (src/idempotency): a mutation's first answer, replayed to a repeat of the same
  -- key by the same principal. state 'running' is written before the mutation executes; owner is
  -- the process that runs it (a running row of another process was abandoned by a crash).
  CREATE TABLE idempotency_keys (
    principal    TEXT    NOT NULL,
    key          TEXT    NOT NULL,
    fingerprint  TEXT    NOT NULL,
    state        TEXT    NOT NULL CHECK (state IN ('running', 'done')),
    owner        TEXT    NOT NULL,
    status       INTEGER,
    content_type TEXT,
    body         TEXT,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (principal, key)
  );
  CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
  `,
  // The registry's identity and the peers the operator adopted (docs/operations.md, "First start
  // on a live node"). registry_id is random, made with the database: a copy (backup) keeps it, a
  // new database gets another. A session that claims a kept peer's key makes it an ordinary peer.
  `
  INSERT OR IGNORE INTO node_state (key, value) VALUES ('registry_id', '"' || lower(hex(randomblob(16))) || '"');

  CREATE TABLE kept_peers (
    public_key  TEXT PRIMARY KEY,
    allowed_ips TEXT NOT NULL,
    adopted_at  INTEGER NOT NULL,
    adopted_by  TEXT NOT NULL
  ) WITHOUT ROWID;

  CREATE TRIGGER kept_peer_claimed AFTER INSERT ON sessions BEGIN
    DELETE FROM kept_peers WHERE public_key = NEW.public_key;
  END;
  `,
  `
  -- Issue 10, dual-stack: the session's IPv6 tunnel address (canonical text), NULL without
  -- WGNODE_ADDRESS_POOL6. Unique among live sessions, like the IPv4 address.
  ALTER TABLE sessions ADD COLUMN address6 TEXT;
  CREATE UNIQUE INDEX sessions_live_address6 ON sessions (address6) WHERE status <> 'ENDED' AND address6 IS NOT NULL;
  -- Issue 10, counters: rx_bytes/tx_bytes are the session's totals; rx_seen/tx_seen the interface's
  -- counters at the last reading, so a reading lower than that (the peer was re-added) is told apart.
  ALTER TABLE sessions ADD COLUMN rx_seen INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE sessions ADD COLUMN tx_seen INTEGER NOT NULL DEFAULT 0;
  -- Until now rx_bytes/tx_bytes were the last reading: that is what was seen, not new traffic.
  UPDATE sessions SET rx_seen = rx_bytes, tx_seen = tx_bytes WHERE status <> 'ENDED';
  `,
  // Issue 13: the change feed (src/registry/changes.ts). registry_id is random, made with the
  // database (the same row and statement as the first-start work: INSERT OR IGNORE, so either may
  // create it). feed_epoch is the feed's own identity: a backup copy gets a new one
  // (src/registry/snapshot.ts), so a restored registry refuses the cursors of the one it replaced.
  // sessions.feed_online is the online state the feed last reported for a live session.
  `
  INSERT OR IGNORE INTO node_state (key, value) VALUES ('registry_id', '"' || lower(hex(randomblob(16))) || '"');
  INSERT OR IGNORE INTO node_state (key, value) VALUES ('feed_epoch', '"' || lower(hex(randomblob(8))) || '"');

  CREATE TABLE changes (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    at         INTEGER NOT NULL,
    kind       TEXT    NOT NULL,
    user_id    INTEGER,
    device_id  INTEGER,
    session_id INTEGER,
    actor      TEXT,
    reason     TEXT,
    detail     TEXT
  );

  ALTER TABLE sessions ADD COLUMN feed_online INTEGER NOT NULL DEFAULT 0;
  -- The reconciler's presence sweep reads only the candidates for each transition.
  CREATE INDEX sessions_feed_offline ON sessions (last_handshake_at) WHERE status = 'ACTIVE' AND feed_online = 0;
  CREATE INDEX sessions_feed_online  ON sessions (last_handshake_at) WHERE feed_online = 1;
  `,
  `
  -- Issue 10: a session's preshared key, sealed with the node key (src/preshared-keys.ts), never
  -- returned by a query; and its expiry (ms since the epoch, NULL = none).
  ALTER TABLE sessions ADD COLUMN preshared_key_sealed TEXT;
  ALTER TABLE sessions ADD COLUMN expires_at INTEGER;
  `,
];

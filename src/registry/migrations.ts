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
];

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
  `
  -- Issue 10: a session's preshared key, sealed with the node key (src/preshared-keys.ts), never
  -- returned by a query; and its expiry (ms since the epoch, NULL = none).
  ALTER TABLE sessions ADD COLUMN preshared_key_sealed TEXT;
  ALTER TABLE sessions ADD COLUMN expires_at INTEGER;
  `,
];

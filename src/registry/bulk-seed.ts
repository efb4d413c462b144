// Bulk seeding for the benchmark: pre-fills a registry file directly with SQL (the agent is not
// running yet): users with one device each, ACTIVE sessions with given keys, and optionally a
// long history (ENDED sessions and audit rows) to see whether the hot paths stay independent of it.
import { openDatabase } from './database.js';
import { createOwnershipStore } from './ownership.js';

export interface SeedSpec {
  path: string;
  /** Devices (user i, device 1) for i in [firstUser, firstUser + devices). */
  firstUser: number;
  devices: number;
  /** The key of user i's ACTIVE session; null = the device has no session. */
  keyOf: (user: number) => string | null;
  /** Tunnel address (integer) of user i's session. */
  addressOf: (user: number) => number;
  /** rx_bytes (and the rx counter last seen) of every session: a reconcile pass rewrites rows whose counters differ from the dump. */
  rxBytes?: number;
  /** ENDED sessions spread over the seeded devices, each with an audit row, all ended 100 days ago or earlier (past the default 90-day retention). */
  history?: number;
  /** The interface this registry already manages (as on a node that ran before); absent = a first start. */
  owner?: { name: string; publicKey: string };
}

export function seedRegistry(spec: SeedSpec): void {
  const db = openDatabase(spec.path);
  const now = Date.now();
  if (spec.owner) createOwnershipStore(db).takeOver(spec.owner, now, 'bench');
  const insertUser = db.prepare('INSERT OR IGNORE INTO users (id, created_at) VALUES (?, ?)');
  const insertDevice = db.prepare(
    `INSERT OR IGNORE INTO devices (user_id, device_id, status, created_at, activated_at, activated_by) VALUES (?, 1, 'ACTIVE', ?, ?, 'bench')`,
  );
  const insertSession = db.prepare(
    `INSERT INTO sessions (user_id, device_id, public_key, address, status, started_at, rx_bytes, rx_seen) VALUES (?, 1, ?, ?, 'ACTIVE', ?, ?, ?)`,
  );
  const users = Array.from({ length: spec.devices }, (_, i) => spec.firstUser + i);
  db.transaction(() => {
    for (const user of users) {
      insertUser.run(user, now);
      insertDevice.run(user, now, now);
    }
  })();
  // History first, as on a real node: the ended sessions are the older rows (smaller ids).
  if (spec.history) seedHistory(db, spec.firstUser, spec.devices, spec.history, now);
  db.transaction(() => {
    for (const user of users) {
      const key = spec.keyOf(user);
      if (key !== null) insertSession.run(user, key, spec.addressOf(user), now, spec.rxBytes ?? 0, spec.rxBytes ?? 0);
    }
  })();
  db.close();
}

/** History in two set-based statements (a million rows in seconds, not minutes). */
function seedHistory(db: ReturnType<typeof openDatabase>, firstUser: number, devices: number, rows: number, now: number): void {
  const old = now - 100 * 86_400_000;
  db.transaction(() => {
    db.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < @rows)
       INSERT INTO sessions (user_id, device_id, public_key, address, status, started_at, ending_at, ended_at, end_reason, ended_by)
       SELECT @firstUser + i % @devices, 1, printf('%043d=', i), 184549376 + i % 65536, 'ENDED',
              @old - 86400000 - i, @old - i, @old - i, 'history', 'bench' FROM n`,
    ).run({ rows, firstUser, devices, old });
    db.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < @rows)
       INSERT INTO audit_log (at, actor, action, user_id, device_id, reason, outcome)
       SELECT @old - i, 'bench', 'disconnect', @firstUser + i % @devices, 1, 'history', 'ok' FROM n`,
    ).run({ rows, firstUser, devices, old });
  })();
}

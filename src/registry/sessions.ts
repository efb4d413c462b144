// Sessions: one WireGuard peer each. ACTIVE (peer must be on the interface) → ENDING (peer must
// go, removal not yet confirmed) → ENDED (confirmed gone). Only ENDED rows are ever deleted, by
// history retention (src/registry/retention.ts).
import type { Db } from './database.js';
import type { AddressPool } from './address-pool.js';
import type { ChangeLog } from './changes.js';
import { formatIpv4 } from '../net.js';
import { NOT_ONLINE_SQL, ONLINE_SQL } from './online.js';
import { createStatementCache } from './statement-cache.js';

export type SessionStatus = 'ACTIVE' | 'ENDING' | 'ENDED';

export interface Session {
  id: number;
  userId: number;
  deviceId: number;
  publicKey: string;
  address: number;
  /** The IPv6 tunnel address (canonical text); null when the node has no IPv6 pool. */
  address6: string | null;
  status: SessionStatus;
  startedAt: number;
  endingAt: number | null;
  endedAt: number | null;
  endReason: string | null;
  endedBy: string | null;
  lastHandshakeAt: number | null;
  /** Totals over every incarnation of the peer (docs/operations.md, "How byte totals are kept"). */
  rxBytes: number;
  txBytes: number;
  /** 1 when the session has a preshared key (the key itself is never read back by a query). */
  hasPresharedKey: 0 | 1;
  /** When the session ends as expired (ms); null = never. */
  expiresAt: number | null;
}

/** What the command layer and the reconciler need of a live session. */
export interface LivePeer {
  id: number;
  publicKey: string;
  address: number;
  address6: string | null;
  status: 'ACTIVE' | 'ENDING';
}

/** A live session with what the reconciler compares against the interface (handshake, bytes, start). */
export interface LiveActivity extends LivePeer {
  userId: number;
  deviceId: number;
  startedAt: number;
  lastHandshakeAt: number | null;
  rxBytes: number;
  txBytes: number;
  /** The interface's counters at the last reading (0 after the peer was seen missing). */
  rxSeen: number;
  txSeen: number;
  /** Absent or null: the session never expires. */
  expiresAt?: number | null;
}

export interface SessionFilter {
  userId?: number | null;
  deviceId?: number | null;
  status?: SessionStatus | null;
  /** true: handshake at or after this time (ms); false: before it or never. Only for ACTIVE sessions. */
  online?: { value: boolean; since: number } | null;
}

export interface HandshakeUpdate {
  id: number;
  /**
   * Omitted = unchanged: most passes see new counters but no new handshake (WireGuard renews one
   * every two minutes), and leaving the column out of the UPDATE spares its two indexes.
   */
  lastHandshakeAt?: number | null;
  /** The new totals. */
  rxBytes: number;
  txBytes: number;
  /** The interface's counters they were taken at; omitted = unchanged. */
  rxSeen?: number;
  txSeen?: number;
}

/** A Session row's columns: one definition for every reader of sessions (feed-snapshot.ts too). */
export const SESSION_COLUMNS = `id, user_id AS userId, device_id AS deviceId, public_key AS publicKey, address, address6, status,
  started_at AS startedAt, ending_at AS endingAt, ended_at AS endedAt, end_reason AS endReason, ended_by AS endedBy,
  last_handshake_at AS lastHandshakeAt, rx_bytes AS rxBytes, tx_bytes AS txBytes,
  preshared_key_sealed IS NOT NULL AS hasPresharedKey, expires_at AS expiresAt`;

// LiveActivity rows are read as arrays and made into objects by toActivity: a pass reads every
// live row, and better-sqlite3's objects cost ~40 % more than arrays plus a literal (65,000 rows:
// ~240 ms → ~150 ms here). The column list, the tuple and toActivity must keep one order.
const ACTIVITY_COLUMNS = `id, public_key, address, address6, status, user_id, device_id, started_at,
  last_handshake_at, rx_bytes, tx_bytes, rx_seen, tx_seen, expires_at`;

/** A LiveActivity row as better-sqlite3's raw mode returns it, in ACTIVITY_COLUMNS' order. */
type ActivityRow = [
  id: number, publicKey: string, address: number, address6: string | null, status: 'ACTIVE' | 'ENDING', userId: number, deviceId: number,
  startedAt: number, lastHandshakeAt: number | null, rxBytes: number, txBytes: number, rxSeen: number, txSeen: number, expiresAt: number | null,
];

function toActivity(r: ActivityRow): LiveActivity {
  return {
    id: r[0], publicKey: r[1], address: r[2], address6: r[3], status: r[4], userId: r[5], deviceId: r[6],
    startedAt: r[7], lastHandshakeAt: r[8], rxBytes: r[9], txBytes: r[10], rxSeen: r[11], txSeen: r[12], expiresAt: r[13],
  };
}

/**
 * address6Of: the IPv6 address that goes with an IPv4 one (dual-stack, net.ts ipv6Beside); null
 * = IPv4 only. Derived, not allocated: unique whenever the IPv4 address is.
 */
export function createSessionStore(db: Db, pool: AddressPool, changes: ChangeLog, address6Of: ((address: number) => string) | null = null) {
  const prepared = createStatementCache(db);
  const get = db.prepare<[number], Session>(`SELECT ${SESSION_COLUMNS} FROM sessions WHERE id = ?`);
  const liveByDevice = db.prepare<[number, number], LivePeer>(
    `SELECT id, public_key AS publicKey, address, address6, status FROM sessions
     WHERE user_id = ? AND device_id = ? AND status <> 'ENDED' ORDER BY id`,
  );
  const liveByKey = db.prepare<[string], Session>(`SELECT ${SESSION_COLUMNS} FROM sessions WHERE public_key = ? AND status <> 'ENDED'`);
  const allLive = db.prepare<[], LivePeer>(`SELECT id, public_key AS publicKey, address, address6, status FROM sessions WHERE status <> 'ENDED'`);
  const liveActivity = db.prepare<[], ActivityRow>(`SELECT ${ACTIVITY_COLUMNS} FROM sessions WHERE status <> 'ENDED'`).raw(true);
  // Keyset pages over the partial unique index on live addresses: no sort, no scan of history.
  const liveActivityPage = db
    .prepare<[number, number], ActivityRow>(`SELECT ${ACTIVITY_COLUMNS} FROM sessions WHERE status <> 'ENDED' AND address > ? ORDER BY address LIMIT ?`)
    .raw(true);
  const insert = db.prepare<{ userId: number; deviceId: number; publicKey: string; address: number; address6: string | null; now: number; sealed: string | null; expiresAt: number | null }>(
    `INSERT INTO sessions (user_id, device_id, public_key, address, address6, status, started_at, preshared_key_sealed, expires_at)
     VALUES (@userId, @deviceId, @publicKey, @address, @address6, 'ACTIVE', @now, @sealed, @expiresAt)`,
  );
  // The one statement that reads a sealed preshared key: only the reconciler's restore uses it.
  const sealedPresharedKey = db.prepare<[number], { sealed: string | null }>(`SELECT preshared_key_sealed AS sealed FROM sessions WHERE id = ?`);
  const shiftExpiry = db.prepare<{ id: number; by: number }>(`UPDATE sessions SET expires_at = expires_at + @by WHERE id = @id AND expires_at IS NOT NULL`);
  // An ending session is no longer online: its ENDING row says so, no SESSION_OFFLINE follows.
  const markEnding = db.prepare<{ id: number; now: number; reason: string | null; by: string }>(
    `UPDATE sessions SET status = 'ENDING', ending_at = @now, end_reason = @reason, ended_by = @by, feed_online = 0
     WHERE id = @id AND status = 'ACTIVE' RETURNING user_id AS userId, device_id AS deviceId`,
  );
  const markEnded = db.prepare<{ id: number; now: number }>(
    `UPDATE sessions SET status = 'ENDED', ended_at = @now WHERE id = @id AND status = 'ENDING'
     RETURNING address, user_id AS userId, device_id AS deviceId, end_reason AS reason, ended_by AS actor`,
  );
  type Transition = { id: number; userId: number; deviceId: number; lastHandshakeAt: number | null };
  const cameOnline = db.prepare<{ since: number }, Transition>(
    `UPDATE sessions SET feed_online = 1 WHERE status = 'ACTIVE' AND feed_online = 0 AND last_handshake_at >= @since
     RETURNING id, user_id AS userId, device_id AS deviceId, last_handshake_at AS lastHandshakeAt`,
  );
  const wentOffline = db.prepare<{ since: number }, Transition>(
    `UPDATE sessions SET feed_online = 0 WHERE feed_online = 1 AND (last_handshake_at IS NULL OR last_handshake_at < @since)
     RETURNING id, user_id AS userId, device_id AS deviceId, last_handshake_at AS lastHandshakeAt`,
  );
  // INDEXED BY: left to itself the planner takes sessions_by_status and sorts every ENDED row
  // (4.4 s a batch with 10 million of them, the event loop held throughout); the partial index
  // on ended_at hands over the oldest rows at once.
  const pruneEnded = db.prepare<[number, number]>(
    `DELETE FROM sessions WHERE id IN
       (SELECT id FROM sessions INDEXED BY sessions_ended_at WHERE status = 'ENDED' AND ended_at < ? ORDER BY ended_at LIMIT ?)`,
  );
  // Positional parameters: one of these per live row and pass, and binding by name costs ~30 % more.
  const recordHandshake = db.prepare<[lastHandshakeAt: number | null, rxBytes: number, txBytes: number, rxSeen: number | null, txSeen: number | null, id: number]>(
    `UPDATE sessions SET last_handshake_at = ?, rx_bytes = ?, tx_bytes = ?,
       rx_seen = COALESCE(?, rx_seen), tx_seen = COALESCE(?, tx_seen) WHERE id = ?`,
  );
  // The same without the handshake column: SQLite maintains an index when its column is SET, equal
  // value or not, and last_handshake_at has two (the feed's online sweep). ~1.5 µs a row against ~2.5.
  const recordCounters = db.prepare<[rxBytes: number, txBytes: number, rxSeen: number | null, txSeen: number | null, id: number]>(
    `UPDATE sessions SET rx_bytes = ?, tx_bytes = ?, rx_seen = COALESCE(?, rx_seen), tx_seen = COALESCE(?, tx_seen) WHERE id = ?`,
  );

  return {
    get: (id: number): Session | undefined => get.get(id),
    liveByDevice: (userId: number, deviceId: number): LivePeer[] => liveByDevice.all(userId, deviceId),
    liveByKey: (publicKey: string): Session | undefined => liveByKey.get(publicKey),
    allLive: (): LivePeer[] => allLive.all(),
    /** Every live session with its recorded activity: one read per reconcile pass. */
    liveActivity: (): LiveActivity[] => liveActivity.all().map(toActivity),
    /** Live sessions with address > afterAddress, by address: lets a caller read them in slices and yield between. */
    liveActivityPage: (afterAddress: number, limit: number): LiveActivity[] => liveActivityPage.all(afterAddress, limit).map(toActivity),
    /** Inserts an ACTIVE session with a free address; null when the pool is exhausted. Call inside a transaction. */
    start(row: { userId: number; deviceId: number; publicKey: string; now: number; by?: string; presharedKeySealed?: string | null; expiresAt?: number | null }): { id: number; address: number; address6: string | null } | null {
      const { by, presharedKeySealed, expiresAt, ...values } = row;
      for (;;) {
        const address = pool.allocate(row.now);
        if (address === null) return null;
        const address6 = address6Of ? address6Of(address) : null;
        try {
          const id = Number(insert.run({ ...values, address, address6, sealed: presharedKeySealed ?? null, expiresAt: expiresAt ?? null }).lastInsertRowid);
          changes.append({
            at: row.now, kind: 'SESSION_STARTED', userId: row.userId, deviceId: row.deviceId, sessionId: id, actor: by,
            detail: JSON.stringify({ publicKey: row.publicKey, address: formatIpv4(address), address6 }),
          });
          return { id, address, address6 };
        } catch (error) {
          // The cache said free but the database disagrees (it is the truth): skip that address.
          // (An IPv6 clash means a live session kept an address of an earlier WGNODE_ADDRESS_POOL6.)
          if (!isUniqueViolation(error, 'sessions.address')) throw error;
        }
      }
    },
    /** ACTIVE → ENDING. Returns the ids that this call moved (a session already ending is not counted). */
    markEnding(ids: readonly number[], change: { now: number; reason: string | null; by: string }): number[] {
      return ids.filter((id) => {
        const row = markEnding.get({ id, ...change }) as { userId: number; deviceId: number } | undefined;
        if (!row) return false;
        changes.append({ at: change.now, kind: 'SESSION_ENDING', ...row, sessionId: id, actor: change.by, reason: change.reason });
        return true;
      });
    },
    /** ENDING → ENDED, freeing their addresses (into quarantine, from `now`). Returns how many this call moved. */
    markEnded(ids: readonly number[], now: number): number {
      let moved = 0;
      for (const id of ids) {
        const row = markEnded.get({ id, now }) as { address: number; userId: number; deviceId: number; reason: string | null; actor: string | null } | undefined;
        if (!row) continue;
        pool.release(row.address, now);
        moved++;
        changes.append({ at: now, kind: 'SESSION_ENDED', userId: row.userId, deviceId: row.deviceId, sessionId: id, actor: row.actor, reason: row.reason });
      }
      return moved;
    },
    /** The session's sealed preshared key (src/preshared-keys.ts), null when it has none: for restoring its peer only. */
    sealedPresharedKey: (id: number): string | null => sealedPresharedKey.get(id)?.sealed ?? null,
    /** Moves these sessions' expiry by `byMs` (a wall-clock jump: the expiry keeps its distance in elapsed time). */
    shiftExpiry(ids: readonly number[], byMs: number): void {
      for (const id of ids) shiftExpiry.run({ id, by: byMs });
    },
    /** Deletes up to `limit` of the oldest sessions ENDED before `before`; returns how many went. */
    pruneEnded: (before: number, limit: number): number => pruneEnded.run(before, limit).changes,
    recordHandshakes(updates: readonly HandshakeUpdate[]): void {
      for (const u of updates) {
        if (u.lastHandshakeAt === undefined) recordCounters.run(u.rxBytes, u.txBytes, u.rxSeen ?? null, u.txSeen ?? null, u.id);
        else recordHandshake.run(u.lastHandshakeAt, u.rxBytes, u.txBytes, u.rxSeen ?? null, u.txSeen ?? null, u.id);
      }
    },
    /**
     * The feed's online/offline rows: ACTIVE sessions whose handshake entered the online window
     * since the last sweep, and those whose window passed. Call inside a transaction, after
     * recording handshakes. Returns how many of each.
     */
    sweepPresence(since: number, now: number): { online: number; offline: number } {
      const online = cameOnline.all({ since });
      const offline = wentOffline.all({ since });
      for (const s of online) changes.append({ at: now, kind: 'SESSION_ONLINE', userId: s.userId, deviceId: s.deviceId, sessionId: s.id, detail: JSON.stringify({ lastHandshakeAt: s.lastHandshakeAt }) });
      for (const s of offline) changes.append({ at: now, kind: 'SESSION_OFFLINE', userId: s.userId, deviceId: s.deviceId, sessionId: s.id, detail: JSON.stringify({ lastHandshakeAt: s.lastHandshakeAt }) });
      return { online: online.length, offline: offline.length };
    },
    /** Keyset pagination by id, ascending. */
    list(filter: SessionFilter, limit: number, afterId: number | null): Session[] {
      const { where, params } = buildWhere(filter);
      if (afterId != null) { where.push('id > @afterId'); params.afterId = afterId; }
      params.limit = limit;
      return prepared(`SELECT ${SESSION_COLUMNS} FROM sessions ${clause(where)} ORDER BY id LIMIT @limit`).all(params) as Session[];
    },
    count(filter: SessionFilter): number {
      const { where, params } = buildWhere(filter);
      return (prepared(`SELECT count(*) AS n FROM sessions ${clause(where)}`).get(params) as { n: number }).n;
    },
  };
}

function isUniqueViolation(error: unknown, column: string): boolean {
  const e = error as { code?: string; message?: string };
  return e.code === 'SQLITE_CONSTRAINT_UNIQUE' && (e.message ?? '').includes(column);
}

function buildWhere(filter: SessionFilter): { where: string[]; params: Record<string, unknown> } {
  const where: string[] = [];
  const params: Record<string, unknown> = {};
  if (filter.userId != null) { where.push('user_id = @userId'); params.userId = filter.userId; }
  if (filter.deviceId != null) { where.push('device_id = @deviceId'); params.deviceId = filter.deviceId; }
  if (filter.status != null) { where.push('status = @status'); params.status = filter.status; }
  if (filter.online != null) {
    where.push(filter.online.value ? ONLINE_SQL : NOT_ONLINE_SQL);
    params.since = filter.online.since;
  }
  return { where, params };
}

function clause(where: string[]): string {
  return where.length ? `WHERE ${where.join(' AND ')}` : '';
}

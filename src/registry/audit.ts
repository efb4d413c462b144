// The audit log: one row per state change or refused admin action. Append only, but for the
// outcome of an intent, which is settled once its command has run, and for repeated refusals:
// the same refusal again within a window counts on the first one's row (a flood of refused
// requests costs one row a window, not one a request).
import type { Db } from './database.js';
import { createStatementCache } from './statement-cache.js';

export interface AuditEntry {
  at: number;
  actor: string;
  action: string;
  userId?: number | null;
  deviceId?: number | null;
  sessionId?: number | null;
  reason?: string | null;
  outcome: string;
  detail?: string | null;
}

export interface AuditRow extends Required<AuditEntry> {
  id: number;
  /** How many identical refusals this row stands for (1 for everything else). */
  count: number;
  /** When the last of them came (null when count is 1). */
  lastAt: number | null;
}

export interface AuditFilter {
  userId?: number | null;
  deviceId?: number | null;
  action?: string | null;
  since?: number | null;
}

export function createAuditStore(db: Db) {
  const insert = db.prepare<Required<AuditEntry>>(
    `INSERT INTO audit_log (at, actor, action, user_id, device_id, session_id, reason, outcome, detail)
     VALUES (@at, @actor, @action, @userId, @deviceId, @sessionId, @reason, @outcome, @detail)`,
  );
  const settle = db.prepare<[string, number]>('UPDATE audit_log SET outcome = ? WHERE id = ?');
  // The literal LIKE term lets SQLite use the partial index audit_refusals.
  const repeatOf = db
    .prepare<{ actor: string; action: string; outcome: string; userId: number | null; deviceId: number | null }>(
      `SELECT id, at FROM audit_log WHERE actor = @actor AND action = @action AND outcome = @outcome
       AND user_id IS @userId AND device_id IS @deviceId AND outcome LIKE 'refused:%'
       ORDER BY id DESC LIMIT 1`,
    );
  const countRepeat = db.prepare<[number, number]>('UPDATE audit_log SET count = count + 1, last_at = ? WHERE id = ?');
  const pruneBatch = db.prepare<[number, number]>(
    `DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE at < ? AND outcome <> 'pending' ORDER BY at LIMIT ?)`,
  );
  const prepared = createStatementCache(db);

  function record(entry: AuditEntry): number {
    return Number(insert.run({ userId: null, deviceId: null, sessionId: null, reason: null, detail: null, ...entry }).lastInsertRowid);
  }

  return {
    record,
    /**
     * Records a refusal, or counts it on the row of the same refusal (actor, action, outcome,
     * user, device) when that row was opened less than windowMs ago. Returns the row's id.
     */
    recordRefusal(entry: AuditEntry, windowMs: number): number {
      const key = { actor: entry.actor, action: entry.action, outcome: entry.outcome, userId: entry.userId ?? null, deviceId: entry.deviceId ?? null };
      const last = repeatOf.get(key) as { id: number; at: number } | undefined;
      // The window runs from the row's first refusal, so a steady flood still opens a row a window.
      if (last && windowMs > 0 && entry.at >= last.at && entry.at - last.at < windowMs) {
        countRepeat.run(entry.at, last.id);
        return last.id;
      }
      return record(entry);
    },
    settle: (id: number, outcome: string): void => void settle.run(outcome, id),
    /** Deletes up to `limit` of the oldest settled rows recorded before `before`; returns how many went. */
    prune: (before: number, limit: number): number => pruneBatch.run(before, limit).changes,
    /** Newest first, keyset-paginated by id. */
    list(filter: AuditFilter, limit: number, beforeId: number | null): AuditRow[] {
      const { where, params } = auditWhere(filter);
      params.limit = limit;
      if (beforeId != null) { where.push('id < @beforeId'); params.beforeId = beforeId; }
      const sql = `SELECT id, at, actor, action, user_id AS userId, device_id AS deviceId, session_id AS sessionId,
        reason, outcome, detail, count, last_at AS lastAt FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT @limit`;
      return prepared(sql).all(params) as AuditRow[];
    },
    /** How many rows match the filter (the auditLog query's totalCount). */
    count(filter: AuditFilter): number {
      const { where, params } = auditWhere(filter);
      const sql = `SELECT count(*) AS n FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`;
      return (prepared(sql).get(params) as { n: number }).n;
    },
  };
}

function auditWhere(filter: AuditFilter): { where: string[]; params: Record<string, unknown> } {
  const where: string[] = [];
  const params: Record<string, unknown> = {};
  if (filter.userId != null) { where.push('user_id = @userId'); params.userId = filter.userId; }
  if (filter.deviceId != null) { where.push('device_id = @deviceId'); params.deviceId = filter.deviceId; }
  if (filter.action != null) { where.push('action = @action'); params.action = filter.action; }
  if (filter.since != null) { where.push('at >= @since'); params.since = filter.since; }
  return { where, params };
}

// The audit log: one row per state change or refused admin action. Append only, but for the
// outcome of an intent, which is settled once its command has run.
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
  const prepared = createStatementCache(db);

  return {
    record(entry: AuditEntry): number {
      return Number(
        insert.run({
          userId: null,
          deviceId: null,
          sessionId: null,
          reason: null,
          detail: null,
          ...entry,
        }).lastInsertRowid,
      );
    },
    settle: (id: number, outcome: string): void => void settle.run(outcome, id),
    /** Newest first, keyset-paginated by id. */
    list(filter: AuditFilter, limit: number, beforeId: number | null): AuditRow[] {
      const { where, params } = auditWhere(filter);
      params.limit = limit;
      if (beforeId != null) { where.push('id < @beforeId'); params.beforeId = beforeId; }
      const sql = `SELECT id, at, actor, action, user_id AS userId, device_id AS deviceId, session_id AS sessionId,
        reason, outcome, detail FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT @limit`;
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

export type AuditStore = ReturnType<typeof createAuditStore>;

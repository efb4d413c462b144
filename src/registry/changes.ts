// The change feed: one append-only row per state change, written by the store method that makes
// the change (devices, sessions) in the same transaction, so no caller can forget it and a
// rollback takes the row with it. seq (AUTOINCREMENT) never goes back, even after pruning.
// Followers are woken after the commit (registry.transaction calls committed()), never inside it.
import type { Db } from './database.js';
import { createNodeStateStore } from './node-state.js';

type ChangeKind =
  | 'DEVICE_ACTIVATED'
  | 'DEVICE_DEACTIVATED'
  | 'SESSION_STARTED'
  | 'SESSION_ENDING'
  | 'SESSION_ENDED'
  | 'SESSION_ONLINE'
  | 'SESSION_OFFLINE'
  | 'PEER_REMOVED'
  | 'PEER_RESTORED'
  | 'INTERFACE_LOST'
  | 'INTERFACE_BACK';

export interface ChangeEntry {
  at: number;
  kind: ChangeKind;
  userId?: number | null;
  deviceId?: number | null;
  sessionId?: number | null;
  actor?: string | null;
  reason?: string | null;
  /** JSON text: what the kind needs beyond the ids (a started session's key and address, a removed peer's key). */
  detail?: string | null;
}

export interface Change {
  seq: number;
  at: number;
  kind: ChangeKind;
  userId: number | null;
  deviceId: number | null;
  sessionId: number | null;
  actor: string | null;
  reason: string | null;
  detail: string | null;
}

/** Where a cursor stands against the retained feed. */
type CursorCheck = 'ok' | 'pruned' | 'ahead';

const COLUMNS = `seq, at, kind, user_id AS userId, device_id AS deviceId, session_id AS sessionId, actor, reason, detail`;
const INTERFACE_KEY = 'feed.interface_up';

export function createChangeLog(db: Db) {
  const state = createNodeStateStore(db);
  const insert = db.prepare<Required<ChangeEntry>>(
    `INSERT INTO changes (at, kind, user_id, device_id, session_id, actor, reason, detail)
     VALUES (@at, @kind, @userId, @deviceId, @sessionId, @actor, @reason, @detail)`,
  );
  const after = db.prepare<[number, number], Change>(`SELECT ${COLUMNS} FROM changes WHERE seq > ? ORDER BY seq LIMIT ?`);
  // sqlite_sequence keeps the last seq handed out even when every row is pruned.
  const latest = db.prepare<[], number>(`SELECT seq FROM sqlite_sequence WHERE name = 'changes'`).pluck();
  const oldest = db.prepare<[], number | null>('SELECT min(seq) FROM changes').pluck();
  const prune = db.prepare<[number, number]>(
    'DELETE FROM changes WHERE seq IN (SELECT seq FROM changes WHERE seq <= ? ORDER BY seq LIMIT ?)',
  );
  const listeners = new Set<() => void>();
  let appended = false;

  const latestSeq = (): number => latest.get() ?? 0;

  function append(entry: ChangeEntry): void {
    insert.run({
      at: entry.at,
      kind: entry.kind,
      userId: entry.userId ?? null,
      deviceId: entry.deviceId ?? null,
      sessionId: entry.sessionId ?? null,
      actor: entry.actor ?? null,
      reason: entry.reason ?? null,
      detail: entry.detail ?? null,
    });
    appended = true;
    // Outside a transaction the row is already committed.
    if (!db.inTransaction) committed();
  }

  /** Called by the registry after each outermost commit: wakes followers if rows were appended. */
  function committed(): void {
    if (!appended) return;
    appended = false;
    for (const listener of listeners) {
      try {
        listener();
      } catch {
        // A follower's failure is its own; the mutation that committed must not see it.
      }
    }
  }

  return {
    append,
    committed,
    /** Rows after seq, oldest first. */
    after: (seq: number, limit: number): Change[] => after.all(seq, limit),
    /** The last seq handed out (0 for an empty feed). */
    latestSeq,
    /** 'pruned' when rows after seq are gone (retention), 'ahead' when seq was never handed out here (a restored copy). */
    check(seq: number): CursorCheck {
      const last = latestSeq();
      if (seq > last) return 'ahead';
      const first = oldest.get() ?? last + 1;
      return seq < first - 1 ? 'pruned' : 'ok';
    },
    /** The feed's identity beside the registry's: a backup copy gets a new one (snapshot.ts). */
    epoch: (): string => state.getJson<string>('feed_epoch') ?? '',
    /** Called after each commit that appended rows (never inside the transaction). Returns the unsubscribe. */
    subscribe(listener: () => void): () => void {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    /** Deletes up to `limit` of the oldest rows, keeping the newest `keep`; returns how many went. */
    prune: (keep: number, limit: number): number => prune.run(latestSeq() - keep, limit).changes,
    /**
     * The interface answered (up) or not: a row only when that differs from the last one recorded
     * (a first success records none). Call inside a transaction.
     */
    recordInterface(up: boolean, at: number, reason: string | null = null): boolean {
      const last = state.getJson<boolean>(INTERFACE_KEY);
      if (last === up || (last === null && up)) {
        if (last === null) state.putJson(INTERFACE_KEY, up);
        return false;
      }
      state.putJson(INTERFACE_KEY, up);
      append({ at, kind: up ? 'INTERFACE_BACK' : 'INTERFACE_LOST', actor: 'reconciler', reason });
      return true;
    },
  };
}

export type ChangeLog = ReturnType<typeof createChangeLog>;

// The feed's reads, shared by the GraphQL queries (changes, snapshot) and the SSE stream: rows
// become views with their cursors, and cursors are checked against this registry.
import type { Change, Registry } from '../registry/index.js';
import { decodeChangeCursor, decodeSnapshotCursor, encodeChangeCursor, encodeSnapshotCursor, feedId } from './cursor.js';

export type FeedRegistry = Pick<Registry, 'identity' | 'changes' | 'feedSnapshot'>;

export interface ChangeView {
  cursor: string;
  seq: number;
  kind: string;
  at: string;
  userId: number | null;
  deviceId: number | null;
  sessionId: string | null;
  actor: string | null;
  reason: string | null;
  /** SESSION_STARTED: the session's key and address; PEER_REMOVED: the removed key. */
  publicKey: string | null;
  address: string | null;
  /** The row's detail (JSON text), as stored. */
  detail: string | null;
}

export function changeView(change: Change, id: string): ChangeView {
  const detail = parseDetail(change.detail);
  return {
    cursor: encodeChangeCursor(id, change.seq),
    seq: change.seq,
    kind: change.kind,
    at: new Date(change.at).toISOString(),
    userId: change.userId,
    deviceId: change.deviceId,
    sessionId: change.sessionId === null ? null : String(change.sessionId),
    actor: change.actor,
    reason: change.reason,
    publicKey: typeof detail.publicKey === 'string' ? detail.publicKey : null,
    address: typeof detail.address === 'string' ? detail.address : null,
    detail: change.detail,
  };
}

function parseDetail(text: string | null): Record<string, unknown> {
  if (text === null) return {};
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Where a follower starts: after its cursor, or (none) at the oldest change retained. */
export function startingSeq(registry: FeedRegistry, after: string | null | undefined): number {
  return after == null || after === '' ? 0 : decodeChangeCursor(registry, after);
}

/** A page of changes after `after` (a cursor, or none for the oldest retained). */
export function readChanges(registry: FeedRegistry, after: string | null | undefined, first: number) {
  const id = feedId(registry);
  const seq = startingSeq(registry, after);
  const rows = registry.changes.after(seq, first + 1);
  const nodes = rows.slice(0, first).map((row) => changeView(row, id));
  const last = nodes[nodes.length - 1];
  // An empty page still hands back a cursor to continue from: the caller's, or the feed's start.
  return {
    nodes,
    pageInfo: { hasNextPage: rows.length > first, endCursor: last ? last.cursor : encodeChangeCursor(id, seq) },
  };
}

/**
 * One page of the snapshot. The first page fixes the snapshot's seq (every page returns it as
 * `cursor`); later pages are read later, so they may already show changes made after that seq —
 * replaying every change after it (each sets the state it names) converges to the node's state.
 */
export function readSnapshot(registry: FeedRegistry, after: string | null | undefined, first: number) {
  const id = feedId(registry);
  const from = after == null || after === '' ? null : decodeSnapshotCursor(registry, after);
  const page = registry.feedSnapshot.page(from ?? { userId: 0, deviceId: 0 }, first + 1);
  const devices = page.devices.slice(0, first);
  const last = devices[devices.length - 1];
  const lastKey = last ? { userId: last.userId, deviceId: last.deviceId } : null;
  const seq = from?.seq ?? page.seq;
  return {
    cursor: encodeChangeCursor(id, seq),
    devices,
    // The extra device read to learn hasNextPage is not this page's: nor are its sessions.
    sessions: page.sessions.filter((s) => lastKey !== null && (s.userId < lastKey.userId || (s.userId === lastKey.userId && s.deviceId <= lastKey.deviceId))),
    pageInfo: {
      hasNextPage: page.devices.length > first,
      endCursor: lastKey ? encodeSnapshotCursor(id, seq, lastKey) : after ?? null,
    },
  };
}

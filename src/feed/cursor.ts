// Feed cursors: opaque to callers, base64url of the feed's identity (the registry's random id and
// its feed epoch) and a position. A cursor is refused with RESYNC_REQUIRED when it belongs to
// another feed (another node, a wiped registry, a restored backup) or points before what
// retention kept: the caller starts again from a snapshot.
import type { Registry } from '../registry/index.js';
import { errors } from '../sessions/index.js';

type FeedRegistry = Pick<Registry, 'identity' | 'changes'>;

/** The feed's identity: the registry's id and the feed epoch (a backup copy gets a new epoch). */
export function feedId(registry: FeedRegistry): string {
  return `${registry.identity()}.${registry.changes.epoch()}`;
}

export function encodeChangeCursor(id: string, seq: number): string {
  return Buffer.from(`c:${id}:${seq}`).toString('base64url');
}

/** A snapshot page's cursor: the snapshot's seq (the first page's) and the last device read. */
export function encodeSnapshotCursor(id: string, seq: number, last: { userId: number; deviceId: number }): string {
  return Buffer.from(`s:${id}:${seq}:${last.userId}:${last.deviceId}`).toString('base64url');
}

const CHANGE = /^c:([0-9a-f]+\.[0-9a-f]*):(\d{1,15})$/;
const SNAPSHOT = /^s:([0-9a-f]+\.[0-9a-f]*):(\d{1,15}):(\d{1,15}):(\d{1,15})$/;

/** The seq after which to read; throws BAD_USER_INPUT for garbage, RESYNC_REQUIRED for a cursor this feed cannot follow. */
export function decodeChangeCursor(registry: FeedRegistry, cursor: string): number {
  const match = CHANGE.exec(decode(cursor));
  if (!match) throw errors.badInput('after is not a change cursor this node issued');
  return followable(registry, match[1]!, Number(match[2]));
}

export function decodeSnapshotCursor(registry: FeedRegistry, cursor: string): { seq: number; userId: number; deviceId: number } {
  const match = SNAPSHOT.exec(decode(cursor));
  if (!match) throw errors.badInput('after is not a snapshot cursor this node issued');
  return { seq: followable(registry, match[1]!, Number(match[2])), userId: Number(match[3]), deviceId: Number(match[4]) };
}

function followable(registry: FeedRegistry, id: string, seq: number): number {
  if (id !== feedId(registry)) throw errors.resyncRequired('it was issued by another registry: another node, a wiped or a restored one');
  const check = registry.changes.check(seq);
  if (check === 'pruned') throw errors.resyncRequired('the changes after it are past retention');
  if (check === 'ahead') throw errors.resyncRequired('it is ahead of this registry');
  return seq;
}

function decode(cursor: string): string {
  return cursor.length > 200 ? '' : Buffer.from(cursor, 'base64url').toString('utf8');
}

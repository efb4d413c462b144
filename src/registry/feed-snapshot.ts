// The node's state for a follower starting from zero: devices in (user, device) order and the
// live sessions of those devices, read together with the feed's latest seq in ONE read
// transaction, so the page is exactly the state after that seq.
import type { Db } from './database.js';
import { DEVICE_COLUMNS, type Device } from './devices.js';
import { SESSION_COLUMNS, type Session } from './sessions.js';

export interface SnapshotPage {
  /** The feed's last seq when this page was read: the page is the state right after it. */
  seq: number;
  devices: Device[];
  /** Live (ACTIVE or ENDING) sessions of this page's devices, by id. */
  sessions: Session[];
}


export function createSnapshotReader(db: Db, latestSeq: () => number) {
  const devices = db.prepare<[number, number, number], Device>(
    `SELECT ${DEVICE_COLUMNS} FROM devices WHERE (user_id, device_id) > (?, ?) ORDER BY user_id, device_id LIMIT ?`,
  );
  const sessions = db.prepare<[number, number, number, number], Session>(
    `SELECT ${SESSION_COLUMNS} FROM sessions
     WHERE status <> 'ENDED' AND (user_id, device_id) > (?, ?) AND (user_id, device_id) <= (?, ?) ORDER BY id`,
  );
  // A deferred transaction is a read snapshot for this connection and any other.
  const read = db.transaction((after: { userId: number; deviceId: number }, limit: number): SnapshotPage => {
    const page = devices.all(after.userId, after.deviceId, limit);
    const last = page[page.length - 1];
    return {
      seq: latestSeq(),
      devices: page,
      sessions: last ? sessions.all(after.userId, after.deviceId, last.userId, last.deviceId) : [],
    };
  });
  return {
    /** Up to `limit` devices after (userId, deviceId) — (0, 0) for the first page — with their live sessions. */
    page: (after: { userId: number; deviceId: number }, limit: number): SnapshotPage => read.deferred(after, limit),
  };
}

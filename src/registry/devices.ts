// users and devices. A device row is never deleted: deactivation keeps who, when and why.
import type { ChangeLog } from './changes.js';
import type { Db } from './database.js';

export type DeviceStatus = 'ACTIVE' | 'DEACTIVATED';

export interface Device {
  userId: number;
  deviceId: number;
  status: DeviceStatus;
  createdAt: number;
  activatedAt: number;
  activatedBy: string;
  deactivatedAt: number | null;
  deactivatedBy: string | null;
  deactivationReason: string | null;
}

/** A Device row's columns: one definition for every reader of devices (feed-snapshot.ts too). */
export const DEVICE_COLUMNS = `user_id AS userId, device_id AS deviceId, status, created_at AS createdAt,
  activated_at AS activatedAt, activated_by AS activatedBy, deactivated_at AS deactivatedAt,
  deactivated_by AS deactivatedBy, deactivation_reason AS deactivationReason`;

export function createDeviceStore(db: Db, changes: ChangeLog) {
  const userExists = db.prepare<[number], { one: 1 }>('SELECT 1 AS one FROM users WHERE id = ?').pluck();
  const insertUser = db.prepare<[number, number]>('INSERT OR IGNORE INTO users (id, created_at) VALUES (?, ?)');
  const get = db.prepare<[number, number], Device>(`SELECT ${DEVICE_COLUMNS} FROM devices WHERE user_id = ? AND device_id = ?`);
  const exists = db.prepare<[number, number], 1>('SELECT 1 FROM devices WHERE user_id = ? AND device_id = ?').pluck();
  const byUser = db.prepare<[number], Device>(`SELECT ${DEVICE_COLUMNS} FROM devices WHERE user_id = ? ORDER BY device_id`);
  const countActive = db
    .prepare<[number], number>(`SELECT count(*) FROM devices WHERE user_id = ? AND status = 'ACTIVE'`)
    .pluck();
  const insert = db.prepare<{ userId: number; deviceId: number; now: number; by: string }>(
    `INSERT INTO devices (user_id, device_id, status, created_at, activated_at, activated_by)
     VALUES (@userId, @deviceId, 'ACTIVE', @now, @now, @by)`,
  );
  const activate = db.prepare<{ userId: number; deviceId: number; now: number; by: string }>(
    `UPDATE devices SET status = 'ACTIVE', activated_at = @now, activated_by = @by
     WHERE user_id = @userId AND device_id = @deviceId AND status = 'DEACTIVATED'`,
  );
  const deactivate = db.prepare<{ userId: number; deviceId: number; now: number; by: string; reason: string | null }>(
    `UPDATE devices SET status = 'DEACTIVATED', deactivated_at = @now, deactivated_by = @by, deactivation_reason = @reason
     WHERE user_id = @userId AND device_id = @deviceId AND status = 'ACTIVE'`,
  );
  // Keyset pages in key order: a device deactivated while paging keeps its place, none is skipped.
  const enforcedPage = db.prepare<[number, number, number], { userId: number; deviceId: number }>(
    `SELECT user_id AS userId, device_id AS deviceId FROM devices AS d
     WHERE (user_id, device_id) > (?, ?)
       AND (status = 'ACTIVE' OR EXISTS (SELECT 1 FROM sessions AS s
              WHERE s.user_id = d.user_id AND s.device_id = d.device_id AND s.status <> 'ENDED'))
     ORDER BY user_id, device_id LIMIT ?`,
  );

  return {
    userExists: (userId: number): boolean => userExists.get(userId) !== undefined,
    ensureUser: (userId: number, now: number): void => void insertUser.run(userId, now),
    get: (userId: number, deviceId: number): Device | undefined => get.get(userId, deviceId),
    /** Whether the device exists (so does its user: a device row references one). */
    exists: (userId: number, deviceId: number): boolean => exists.get(userId, deviceId) !== undefined,
    listByUser: (userId: number): Device[] => byUser.all(userId),
    countActive: (userId: number): number => countActive.get(userId) ?? 0,
    /** Inserts an ACTIVE device; returns the row as written (what the INSERT sets, no read back). */
    insert: (row: { userId: number; deviceId: number; now: number; by: string }): Device => {
      insert.run(row);
      changes.append({ at: row.now, kind: 'DEVICE_ACTIVATED', userId: row.userId, deviceId: row.deviceId, actor: row.by, detail: CREATED });
      const { userId, deviceId, now, by } = row;
      return { userId, deviceId, status: 'ACTIVE', createdAt: now, activatedAt: now, activatedBy: by, deactivatedAt: null, deactivatedBy: null, deactivationReason: null };
    },
    /** Returns false when the device was not DEACTIVATED (someone else won the race). */
    activate: (row: { userId: number; deviceId: number; now: number; by: string }): boolean => {
      if (activate.run(row).changes !== 1) return false;
      changes.append({ at: row.now, kind: 'DEVICE_ACTIVATED', userId: row.userId, deviceId: row.deviceId, actor: row.by });
      return true;
    },
    /** Returns false when the device was not ACTIVE (someone else won the race). */
    deactivate: (row: { userId: number; deviceId: number; now: number; by: string; reason: string | null }): boolean => {
      if (deactivate.run(row).changes !== 1) return false;
      changes.append({ at: row.now, kind: 'DEVICE_DEACTIVATED', userId: row.userId, deviceId: row.deviceId, actor: row.by, reason: row.reason });
      return true;
    },
    /**
     * Devices that are ACTIVE or still have live peers (an unconfirmed removal), after the given
     * key in key order, at most `limit`: what a complete desired-state sync must look at.
     */
    activeOrLivePage: (after: { userId: number; deviceId: number } | null, limit: number): Array<{ userId: number; deviceId: number }> =>
      enforcedPage.all(after?.userId ?? 0, after?.deviceId ?? 0, limit),
  };
}

const CREATED = JSON.stringify({ created: true });

/** The row `activate` leaves behind, from the one it changed (its UPDATE sets these three; the rest stays). */
export function activatedRow(device: Device, now: number, by: string): Device {
  return { ...device, status: 'ACTIVE', activatedAt: now, activatedBy: by };
}

// The registry: one SQLite database, one store per table, and the address pool cache.
import type { Cidr } from '../net.js';
import { AddressPool } from './address-pool.js';
import { createAuditStore } from './audit.js';
import { openDatabase, type Db } from './database.js';
import { createDeviceStore } from './devices.js';
import { createNodeStateStore } from './node-state.js';
import { createSessionStore } from './sessions.js';

export interface Registry {
  db: Db;
  devices: ReturnType<typeof createDeviceStore>;
  sessions: ReturnType<typeof createSessionStore>;
  audit: ReturnType<typeof createAuditStore>;
  /** Small facts that survive a restart (node_state). */
  state: ReturnType<typeof createNodeStateStore>;
  /** Runs fn in one IMMEDIATE transaction: it takes the write lock up front, so two writers never interleave. */
  transaction<T>(fn: () => T): T;
  close(): void;
}

export function openRegistry(options: { path: string; pool: Cidr; interfaceAddress: number }): Registry {
  const db = openDatabase(options.path);
  const liveAddresses = db.prepare(`SELECT address FROM sessions WHERE status <> 'ENDED'`).pluck().all() as number[];
  const sessions = createSessionStore(db, new AddressPool(options.pool, options.interfaceAddress, liveAddresses));
  return {
    db,
    devices: createDeviceStore(db),
    sessions,
    audit: createAuditStore(db),
    state: createNodeStateStore(db),
    transaction: (fn) => db.transaction(fn).immediate(),
    close: () => db.close(),
  };
}

export type { Device, DeviceStatus } from './devices.js';
export type { Session, SessionStatus, SessionFilter, LivePeer, LiveActivity, HandshakeUpdate } from './sessions.js';
export type { AuditEntry, AuditRow, AuditFilter } from './audit.js';

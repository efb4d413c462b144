// The registry: one SQLite database, one store per table, and the address pool cache. All SQL of
// wgnode lives under src/registry; the rest of the code sees these methods, never the handle.
import type { Logger } from '../logger.js';
import type { Cidr } from '../net.js';
import { AddressPool } from './address-pool.js';
import { createAuditStore } from './audit.js';
import { startWalCheckpointer, type Checkpointer } from './checkpointer.js';
import { openDatabase, type SyncMode } from './database.js';
import { createDeviceStore } from './devices.js';
import { RegistryUnavailableError } from './errors.js';
import { createGroupCommit } from './group-commit.js';
import { createIdempotencyStore } from './idempotency.js';
import { createNodeStateStore } from './node-state.js';
import { createOwnershipStore } from './ownership.js';
import { createSessionStore } from './sessions.js';
import { snapshotRegistry, type Snapshot } from './snapshot.js';

export interface Registry {
  devices: ReturnType<typeof createDeviceStore>;
  sessions: ReturnType<typeof createSessionStore>;
  audit: ReturnType<typeof createAuditStore>;
  /** Small facts that survive a restart (node_state). */
  state: ReturnType<typeof createNodeStateStore>;
  /** Answers to mutations sent with an Idempotency-Key (src/idempotency). */
  idempotency: ReturnType<typeof createIdempotencyStore>;
  /** Which interface this registry manages and the peers the operator adopted on it. */
  ownership: ReturnType<typeof createOwnershipStore>;
  /** This registry's random id (node_state registry_id), made with the database; a backup keeps it. */
  identity(): string;
  /** Runs fn in one IMMEDIATE transaction: it takes the write lock up front, so two writers never interleave. */
  transaction<T>(fn: () => T): T;
  /**
   * Like transaction, but shares one commit with the other group transactions ready in this turn
   * of the event loop, each in its own savepoint; resolves once committed (src/registry/group-commit.ts).
   */
  groupTransaction<T>(fn: () => T): Promise<T>;
  /** Free addresses in the pool's cache (tests and checks: nothing leaks). */
  freeAddresses(): number;
  /** Throws when the database does not answer (readiness). */
  ping(): void;
  /** An online, consistent copy in a private temporary file (the operator's backup). */
  snapshot(): Promise<Snapshot>;
  /** Moves WAL checkpoints to a worker thread; null for an in-memory registry or when no worker starts. */
  startWalCheckpointer(options: { log: Logger; intervalMs?: number }): Checkpointer | null;
  /** Copies the whole WAL into the database and empties it (clean shutdown); false if a reader kept part of it. */
  checkpointTruncate(): boolean;
  /** The connection's journal mode and sync level (FULL: a commit is on disk before it returns). */
  durability(): { journalMode: string; synchronous: SyncMode | 'OFF' | 'EXTRA' };
  /** How long a write waits for another connection's lock before SQLITE_BUSY (default 5 s). */
  setBusyTimeout(ms: number): void;
  /** Every table's rows but the named ones, by table name: a whole state to compare (tests). */
  contents(options?: { except?: readonly string[] }): Array<[table: string, rows: unknown[]]>;
  close(): void;
}

const SYNC_LEVELS = ['OFF', 'NORMAL', 'FULL', 'EXTRA'] as const;

export function openRegistry(options: { path: string; pool: Cidr; interfaceAddress: number; synchronous?: SyncMode }): Registry {
  const db = openDatabase(options.path, { synchronous: options.synchronous });
  const liveAddresses = db.prepare(`SELECT address FROM sessions WHERE status <> 'ENDED'`).pluck().all() as number[];
  const pool = new AddressPool(options.pool, options.interfaceAddress, liveAddresses);
  const sessions = createSessionStore(db, pool);
  const ping = db.prepare('SELECT 1');
  const ownership = createOwnershipStore(db);
  const registry: Registry = {
    devices: createDeviceStore(db),
    sessions,
    audit: createAuditStore(db),
    state: createNodeStateStore(db),
    ownership,
    identity: () => ownership.registryId(),
    idempotency: createIdempotencyStore(db),
    transaction(fn) {
      // The address pool follows the transaction: a rollback (here, or of a nested savepoint) undoes its changes.
      const mark = pool.mark();
      try {
        const result = db.transaction(fn).immediate();
        if (!db.inTransaction) pool.commit();
        return result;
      } catch (error) {
        pool.undoTo(mark);
        // A closed database (shutting down) is a retryable answer, not a crash: same as a failed commit.
        throw db.open ? error : new RegistryUnavailableError(error);
      }
    },
    // Through registry.transaction, so the shared transaction is one like any other.
    groupTransaction: createGroupCommit(db, (fn) => registry.transaction(fn), pool),
    freeAddresses: () => pool.free(),
    ping: () => void ping.get(),
    snapshot: () => snapshotRegistry(db),
    startWalCheckpointer: (checkpointOptions) => startWalCheckpointer(db, options.path, checkpointOptions),
    checkpointTruncate: () => (db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>)[0]?.busy === 0,
    durability: () => ({
      journalMode: String(db.pragma('journal_mode', { simple: true })).toUpperCase(),
      synchronous: SYNC_LEVELS[db.pragma('synchronous', { simple: true }) as number] ?? 'EXTRA',
    }),
    setBusyTimeout: (ms) => void db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(ms))}`),
    contents(contentOptions = {}) {
      const except = new Set(contentOptions.except ?? []);
      const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).pluck().all() as string[];
      return tables.filter((name) => !except.has(name)).map((name) => [name, db.prepare(`SELECT * FROM "${name}"`).all()]);
    },
    close: () => db.close(),
  };
  return registry;
}

export type { Device } from './devices.js';
export type { Session, SessionStatus, SessionFilter, LivePeer, LiveActivity, HandshakeUpdate } from './sessions.js';
export type { AuditEntry, AuditRow, AuditFilter } from './audit.js';
export type { KeptPeer } from './ownership.js';
export { RegistryUnavailableError };
export type { IdempotencyRecord } from './idempotency.js';

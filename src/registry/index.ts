// The registry: one SQLite database, one store per table, and the address pool cache. All SQL of
// wgnode lives under src/registry; the rest of the code sees these methods, never the handle.
import type { Logger } from '../logger.js';
import { ipv6Beside, type Cidr, type Cidr6 } from '../net.js';
import { AddressPool } from './address-pool.js';
import { createAuditStore } from './audit.js';
import { createChangeLog } from './changes.js';
import { startWalCheckpointer, type Checkpointer } from './checkpointer.js';
import { openDatabase, type SyncMode } from './database.js';
import { createDeviceStore } from './devices.js';
import { createSnapshotReader } from './feed-snapshot.js';
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
  /** The change feed: one row per state change, appended by the stores that make them (src/registry/changes.ts). */
  changes: ReturnType<typeof createChangeLog>;
  /** Pages of the node's state, each with the feed seq it is consistent with (snapshot-then-changes). */
  feedSnapshot: ReturnType<typeof createSnapshotReader>;
  /** This registry's random id (node_state registry_id), made with the database; a backup keeps it. */
  identity(): string;
  /** Runs fn in one IMMEDIATE transaction: it takes the write lock up front, so two writers never interleave. */
  transaction<T>(fn: () => T): T;
  /**
   * Like transaction, but shares one commit with the other group transactions ready in this turn
   * of the event loop (a job that throws rolls back alone); resolves once committed (src/registry/group-commit.ts).
   */
  groupTransaction<T>(fn: () => T): Promise<T>;
  /**
   * A transaction whose commit does not wait for the disk (synchronous NORMAL for this commit
   * only): for bookkeeping the next reconcile pass writes again (handshakes, counters). A crash
   * of the process loses none of it; a power cut may lose the last ones. Never for intents.
   */
  bookkeeping<T>(fn: () => T): T;
  /** Free addresses in the pool's cache (tests and checks: nothing leaks). */
  freeAddresses(): number;
  /** Free addresses still in quarantine at `now` (metrics, tests). */
  quarantinedAddresses(now: number): number;
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

export interface RegistryOptions {
  path: string;
  pool: Cidr;
  interfaceAddress: number;
  pool6?: Cidr6 | null;
  synchronous?: SyncMode;
  /** How long a freed tunnel address rests before reuse (src/registry/address-pool.ts); 0 (default) = off. */
  addressQuarantineMs?: number;
  /** The clock that dates the quarantine rebuilt at start-up. */
  now?: () => number;
}

export function openRegistry(options: RegistryOptions): Registry {
  const db = openDatabase(options.path, { synchronous: options.synchronous });
  const liveAddresses = db.prepare(`SELECT address FROM sessions WHERE status <> 'ENDED'`).pluck().all() as number[];
  const quarantineMs = options.addressQuarantineMs ?? 0;
  // Addresses freed within the quarantine before this start keep resting (ended_at is when they were freed).
  const quarantined = quarantineMs > 0
    ? (db.prepare(`SELECT address, max(ended_at) AS freedAt FROM sessions WHERE status = 'ENDED' AND ended_at >= ? GROUP BY address`)
        .all((options.now ?? Date.now)() - quarantineMs) as Array<{ address: number; freedAt: number }>)
    : [];
  const pool = new AddressPool(options.pool, options.interfaceAddress, liveAddresses, { quarantineMs, quarantined });
  const { pool6 } = options;
  const changes = createChangeLog(db);
  const sessions = createSessionStore(db, pool, changes, pool6 ? (address) => ipv6Beside(options.pool, pool6, address) : null);
  const ping = db.prepare('SELECT 1');
  const checkpointers: Checkpointer[] = [];
  const ownership = createOwnershipStore(db);
  const state = createNodeStateStore(db);
  const registry: Registry = {
    devices: createDeviceStore(db, changes),
    sessions,
    audit: createAuditStore(db),
    state,
    ownership,
    identity: () => ownership.registryId(),
    idempotency: createIdempotencyStore(db),
    changes,
    feedSnapshot: createSnapshotReader(db, changes.latestSeq),
    transaction(fn) {
      // The address pool follows the transaction: a rollback (here, or of a nested savepoint) undoes its changes.
      const mark = pool.mark();
      try {
        const result = db.transaction(fn).immediate();
        if (!db.inTransaction) {
          pool.commit();
          // Followers of the feed wake after the commit, never inside it.
          changes.committed();
        }
        return result;
      } catch (error) {
        pool.undoTo(mark);
        // A closed database (shutting down) is a retryable answer, not a crash: same as a failed commit.
        throw db.open ? error : new RegistryUnavailableError(error);
      }
    },
    // Through registry.transaction, so the shared transaction is one like any other.
    groupTransaction: createGroupCommit(db, (fn) => registry.transaction(fn), pool),
    bookkeeping(fn) {
      const level = db.pragma('synchronous', { simple: true }) as number;
      db.pragma('synchronous = NORMAL');
      try {
        return registry.transaction(fn);
      } finally {
        db.pragma(`synchronous = ${level}`);
      }
    },
    freeAddresses: () => pool.free(),
    quarantinedAddresses: (now) => pool.quarantined(now),
    ping: () => void ping.get(),
    snapshot: () => snapshotRegistry(db),
    startWalCheckpointer(checkpointOptions) {
      const started = startWalCheckpointer(db, options.path, checkpointOptions);
      if (started) checkpointers.push(started);
      return started;
    },
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
    close() {
      // Its worker opens the file by path: left running, it would outlive the registry (and recreate the WAL).
      for (const c of checkpointers.splice(0)) c.stop();
      db.close();
    },
  };
  return registry;
}

export type { Device, DeviceStatus } from './devices.js';
export { activatedRow } from './devices.js';
export type { Session, SessionStatus, SessionFilter, LivePeer, LiveActivity, HandshakeUpdate } from './sessions.js';
export type { AuditEntry, AuditRow, AuditFilter } from './audit.js';
export type { KeptPeer } from './ownership.js';
export { RegistryUnavailableError };
export type { IdempotencyRecord } from './idempotency.js';
export type { Change } from './changes.js';

// Opens the registry: pragmas, then versioned migrations tracked in PRAGMA user_version.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS } from './migrations.js';

export type Db = Database.Database;

/** How hard a commit waits for the disk. FULL is what wgnode runs with; NORMAL exists for the durability benchmark. */
export type SyncMode = 'NORMAL' | 'FULL';

/** The connection's page cache, in KiB (64 MiB). */
const PAGE_CACHE_KIB = 64 * 1024;

export function openDatabase(path: string, options: { synchronous?: SyncMode } = {}): Db {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  // Readers (CLI backup, a second process) never block us for long; we never crash on SQLITE_BUSY.
  db.pragma('busy_timeout = 5000');
  // FULL under WAL fsyncs the log on every commit, so a mutation answered `true` (and an intent
  // recorded before its command) survives power loss; NORMAL survives only a process crash. Group
  // commit makes one fsync cover every transaction of the batch (cost: docs/performance.md).
  db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
  db.pragma('foreign_keys = ON');
  // SQLite's default page cache is 2 MiB: on a registry with years of history (10 million rows,
  // ~3 GB) it cannot even hold the inner pages of the big indexes, and every statement goes back
  // to the OS for them (row 5 of the benchmark). Pages are cached as they are read, up to this.
  db.pragma(`cache_size = -${PAGE_CACHE_KIB}`);
  migrate(db);
  return db;
}

function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(`the registry is at schema version ${current}, newer than this wgnode (${MIGRATIONS.length})`);
  }
  for (let version = current; version < MIGRATIONS.length; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version]!);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
}

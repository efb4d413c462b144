// An online, consistent copy of the registry (SQLite's backup API via better-sqlite3): it copies
// page by page between event-loop turns, so the agent keeps serving while it runs, and writes made
// through this same connection during the copy are carried into it.
import Database from 'better-sqlite3';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Db } from './database.js';

export interface Snapshot {
  /** A private temporary file holding the copy; call remove() when done with it. */
  path: string;
  remove(): Promise<void>;
}

/** Copies the database into a fresh 0700 temporary directory (beside the registry file, else the OS tmpdir). */
export async function snapshotRegistry(db: Db): Promise<Snapshot> {
  const base = db.memory ? tmpdir() : dirname(db.name);
  const dir = await mkdtemp(join(base, '.wgnode-backup-'));
  const path = join(dir, 'registry.db');
  try {
    await db.backup(path);
    // A single self-contained file: rollback journal instead of WAL, so opening the copy (to
    // verify or restore it) leaves no -wal/-shm beside it. wgnode turns WAL back on when it opens it.
    const copy = new Database(path);
    try {
      copy.pragma('journal_mode = DELETE');
      // A restored copy is another feed: its seqs would repeat ones followers already saw, so it
      // gets a new feed epoch and their cursors answer RESYNC_REQUIRED (src/feed/cursor.ts).
      copy.prepare(`UPDATE node_state SET value = '"' || lower(hex(randomblob(8))) || '"' WHERE key = 'feed_epoch'`).run();
    } finally {
      copy.close();
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return { path, remove: () => rm(dir, { recursive: true, force: true }) };
}

import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logger.js';
import { startWalCheckpointer } from '../../src/registry/checkpointer.js';
import { openDatabase, type Db } from '../../src/registry/database.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function fileDb(): { db: Db; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'wgnode-ckpt-'));
  dirs.push(dir);
  const path = join(dir, 'r.db');
  const db = openDatabase(path);
  db.exec('CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB)');
  return { db, path };
}

/** ~4 MB written in one transaction: with no checkpoint, it all stays in the WAL. */
function writeMegabytes(db: Db): void {
  const insert = db.prepare('INSERT INTO blobs (data) VALUES (?)');
  db.transaction(() => {
    for (let i = 0; i < 1000; i++) insert.run(Buffer.alloc(4000, i));
  })();
}

const until = async (check: () => boolean, ms: number) => {
  for (const deadline = Date.now() + ms; Date.now() < deadline && !check(); ) await new Promise((r) => setTimeout(r, 20));
  return check();
};

describe('WAL checkpointer', () => {
  it('takes checkpoints off the agent connection and runs them in a worker', async () => {
    const { db, path } = fileDb();
    const checkpointer = startWalCheckpointer(db, path, { log: silentLogger, intervalMs: 20 })!;
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    writeMegabytes(db);
    // The worker copied the log into the database file.
    expect(await until(() => statSync(path).size > 3_000_000, 3000)).toBe(true);
    checkpointer.stop();
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    db.close();
  });

  it('without it, and with autocheckpoint off, the pages stay in the WAL (the control)', async () => {
    const { db, path } = fileDb();
    db.pragma('wal_autocheckpoint = 0');
    writeMegabytes(db);
    expect(await until(() => statSync(path).size > 3_000_000, 300)).toBe(false);
    db.close();
  });

  it('does nothing for an in-memory registry', () => {
    const db = openDatabase(':memory:');
    expect(startWalCheckpointer(db, ':memory:', { log: silentLogger })).toBeNull();
    db.close();
  });
});

// WAL checkpoints off the event loop. In WAL mode SQLite copies the log back into the database
// every 1,000 pages, at the end of whichever commit crosses that mark, and fsyncs both files:
// measured here, that was ~65 % of a revocation's registry time, paid by random requests as
// multi-millisecond stalls. So the agent's connection never checkpoints; a worker thread with its
// own connection runs PASSIVE checkpoints (they never block writers) on a timer.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../logger.js';
import type { Db } from './database.js';

export interface Checkpointer {
  /** Stops the worker; the agent's connection checkpoints by itself again. */
  stop(): void;
}

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('busy_timeout = 1000');
// A checkpoint copies frames already synced by their commit; FULL syncs the WAL before and the
// database after, so a power cut mid-checkpoint replays the log rather than losing it.
db.pragma('synchronous = FULL');
setInterval(() => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch (error) { parentPort.postMessage(String(error && error.message)); }
}, workerData.intervalMs);
`;

export function startWalCheckpointer(db: Db, path: string, options: { log: Logger; intervalMs?: number }): Checkpointer | null {
  if (path === ':memory:') return null;
  let worker: Worker;
  try {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    worker = new Worker(WORKER, { eval: true, workerData: { path, driver, intervalMs: options.intervalMs ?? 200 } });
  } catch (error) {
    options.log.warn({ err: error }, 'no WAL checkpoint worker; the registry checkpoints on commits');
    return null;
  }
  worker.unref();
  db.pragma('wal_autocheckpoint = 0');
  const restore = () => void db.pragma('wal_autocheckpoint = 1000');
  worker.on('message', (message: string) => options.log.warn({ error: message }, 'WAL checkpoint failed; retrying'));
  worker.on('error', (error) => {
    options.log.warn({ err: error }, 'the WAL checkpoint worker stopped; the registry checkpoints on commits');
    if (db.open) restore();
  });
  return {
    stop() {
      if (db.open) restore();
      void worker.terminate();
    },
  };
}

// Group commit: a SQLite commit costs ~100 µs here (WAL frames written), more than everything
// else a revocation does in the registry. Under load, the transactions that become ready in the
// same turn of the event loop run in ONE transaction, each inside its own savepoint: one that
// throws rolls back alone and only its caller sees the error. Callers still await a COMMITTED
// result, so "intent durable before the command" holds exactly as with a transaction of its own.
import type { Statement } from 'better-sqlite3';
import type { Db } from './database.js';

interface Job {
  fn: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Returns the registry's groupTransaction. `transaction` is the registry's own (the shared
 * transaction goes through it, so whoever watches the registry's transactions sees it).
 */
export function createGroupCommit(db: Db, transaction: <T>(fn: () => T) => T): <T>(fn: () => T) => Promise<T> {
  let queue: Job[] | null = null;
  // A savepoint per job: a throw undoes this job only. (Hand-made with prepared statements:
  // db.transaction(fn) per job costs more than the job itself.) Prepared on first use.
  let savepoint: { begin: Statement; release: Statement; rollback: Statement } | null = null;

  function flush(): void {
    const jobs = queue ?? [];
    queue = null;
    savepoint ??= { begin: db.prepare('SAVEPOINT wgnode_job'), release: db.prepare('RELEASE wgnode_job'), rollback: db.prepare('ROLLBACK TO wgnode_job') };
    const { begin, release, rollback } = savepoint;
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    try {
      transaction(() => {
        for (const job of jobs) {
          begin.run();
          try {
            outcomes.push({ ok: true, value: job.fn() });
            release.run();
          } catch (error) {
            rollback.run();
            release.run();
            outcomes.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      // BEGIN or COMMIT failed: nothing of the batch is committed.
      for (const job of jobs) job.reject(error);
      return;
    }
    jobs.forEach((job, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) job.resolve(outcome.value);
      else job.reject(outcome.error);
    });
  }

  return <T>(fn: () => T) =>
    new Promise<T>((resolve, reject) => {
      if (!queue) {
        queue = [];
        // setImmediate: after this turn's I/O callbacks, so requests read in the same poll share it.
        setImmediate(flush);
      }
      queue.push({ fn, resolve: resolve as (value: unknown) => void, reject });
    });
}

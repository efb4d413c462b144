// Group commit: a SQLite commit costs ~100 µs here (WAL frames written), more than everything
// else a revocation does in the registry. Under load, the transactions that become ready in the
// same turn of the event loop run in ONE transaction; when one of them throws, the batch runs
// again with each job in its own savepoint, so it rolls back alone and only its caller sees the
// error. Callers still await a COMMITTED result, so "intent durable before the command" holds
// exactly as with a transaction of its own.
import type { Statement } from 'better-sqlite3';
import type { Journaled } from './address-pool.js';
import type { Db } from './database.js';
import { RegistryUnavailableError } from './errors.js';

interface Job {
  fn: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Aborts the attempt without savepoints when a job throws (the jobs then run again, isolated). */
class JobThrew extends Error {}

/** A job's failure that took the whole transaction with it (SQLite rolled everything back). */
class BatchLost extends Error {
  constructor(readonly reason: unknown) {
    super('the shared transaction was rolled back');
  }
}

/**
 * Returns the registry's groupTransaction. `transaction` is the registry's own (the shared
 * transaction goes through it, so whoever watches the registry's transactions sees it).
 * `journal` is the in-memory state that must follow each job's savepoint (the address pool).
 */
export function createGroupCommit(db: Db, transaction: <T>(fn: () => T) => T, journal: Journaled): <T>(fn: () => T) => Promise<T> {
  let queue: Job[] | null = null;
  // A savepoint per job: a throw undoes this job only. (Hand-made with prepared statements:
  // db.transaction(fn) per job costs more than the job itself.) Prepared on first use.
  let savepoint: { begin: Statement; release: Statement; rollback: Statement } | null = null;

  /**
   * First without savepoints (two statements per job saved): jobs return their refusals rather
   * than throw, so a throw is rare. When one does throw, SQLite and the journal roll the whole
   * attempt back, and the jobs run again, each in its own savepoint (runIsolated).
   */
  function runJobs(jobs: readonly Job[]): Outcome[] {
    const mark = journal.mark();
    try {
      return transaction(() =>
        jobs.map((job): Outcome => {
          try {
            return { ok: true, value: job.fn() };
          } catch {
            throw new JobThrew('a job threw');
          }
        }),
      );
    } catch (error) {
      // BEGIN or COMMIT failed: that is the batch's answer, not a reason to try again.
      if (!(error instanceof JobThrew)) throw error;
      journal.undoTo(mark);
      return runIsolated(jobs);
    }
  }

  function runIsolated(jobs: readonly Job[]): Outcome[] {
    savepoint ??= { begin: db.prepare('SAVEPOINT wgnode_job'), release: db.prepare('RELEASE wgnode_job'), rollback: db.prepare('ROLLBACK TO wgnode_job') };
    const { begin, release, rollback } = savepoint;
    const outcomes: Outcome[] = [];
    transaction(() => {
      for (const job of jobs) {
        const mark = journal.mark();
        begin.run();
        try {
          outcomes.push({ ok: true, value: job.fn() });
          release.run();
        } catch (error) {
          journal.undoTo(mark);
          // SQLITE_FULL, IOERR and the like roll back the whole transaction: the savepoint is
          // gone with it ("no such savepoint"), and so is every job before this one.
          if (!db.inTransaction) throw new BatchLost(error);
          rollback.run();
          release.run();
          outcomes.push({ ok: false, error });
        }
      }
    });
    return outcomes;
  }

  function flush(): void {
    const jobs = queue ?? [];
    queue = null;
    let outcomes: ReturnType<typeof runJobs>;
    try {
      outcomes = runJobs(jobs);
    } catch (error) {
      // BEGIN, a savepoint or COMMIT failed, or the database is closed: nothing of the batch is
      // committed. Every caller learns it as one retryable error (never a throw from this timer).
      const failure = new RegistryUnavailableError(error instanceof BatchLost ? error.reason : error);
      for (const job of jobs) job.reject(failure);
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

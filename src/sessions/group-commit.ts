// Group commit: a SQLite commit costs ~100 µs here (WAL frames written), more than everything
// else a revocation does in the registry. Under load, the transactions that become ready in the
// same turn of the event loop run in ONE transaction, each inside its own savepoint: one that
// throws rolls back alone and only its caller sees the error. Callers still await a COMMITTED
// result, so "intent durable before the command" holds exactly as with inTransaction.
import type { Statement } from 'better-sqlite3';
import type { Registry } from '../registry/index.js';
import { busyError, isRefusal, type Refusal, type UseCaseDeps } from './context.js';

interface Job {
  fn: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

const queues = new WeakMap<Registry, Job[]>();

/** Like inTransaction, but shares the commit with the other transactions ready in this turn. */
export function inGroupTransaction<T>(deps: UseCaseDeps, fn: () => T): Promise<Exclude<T, Refusal>> {
  const { registry } = deps;
  return new Promise((resolve, reject) => {
    let queue = queues.get(registry);
    if (!queue) {
      queues.set(registry, (queue = []));
      // setImmediate: after this turn's I/O callbacks, so requests read in the same poll share it.
      setImmediate(() => flush(registry));
    }
    queue.push({ fn, resolve: resolve as (value: unknown) => void, reject });
  });
}

const savepoints = new WeakMap<Registry, { begin: Statement; release: Statement; rollback: Statement }>();

function savepointOf(registry: Registry) {
  let statements = savepoints.get(registry);
  if (!statements) {
    const { db } = registry;
    statements = { begin: db.prepare('SAVEPOINT wgnode_job'), release: db.prepare('RELEASE wgnode_job'), rollback: db.prepare('ROLLBACK TO wgnode_job') };
    savepoints.set(registry, statements);
  }
  return statements;
}

function flush(registry: Registry): void {
  const jobs = queues.get(registry) ?? [];
  queues.delete(registry);
  const savepoint = savepointOf(registry);
  const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
  try {
    registry.transaction(() => {
      for (const job of jobs) {
        // A savepoint per job: a throw undoes this job only. (Hand-made with prepared statements:
        // db.transaction(fn) per job costs more than the job itself.)
        savepoint.begin.run();
        try {
          outcomes.push({ ok: true, value: job.fn() });
          savepoint.release.run();
        } catch (error) {
          savepoint.rollback.run();
          savepoint.release.run();
          outcomes.push({ ok: false, error });
        }
      }
    });
  } catch (error) {
    // BEGIN or COMMIT failed: nothing of the batch is committed.
    for (const job of jobs) job.reject(busyError(error) ?? error);
    return;
  }
  jobs.forEach((job, i) => {
    const outcome = outcomes[i]!;
    if (!outcome.ok) job.reject(busyError(outcome.error) ?? outcome.error);
    else if (isRefusal(outcome.value)) job.reject(outcome.value.refused);
    else job.resolve(outcome.value);
  });
}

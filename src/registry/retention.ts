// History retention: ENDED sessions and audit rows older than WGNODE_HISTORY_RETENTION_DAYS are
// deleted in the background, a small batch per transaction, paced so that a prune never holds the
// write lock (or the event loop) long enough for a request to notice. Live sessions and pending
// audit rows are never pruned: they are intent, not history.
//
// Pacing, because a backlog is the normal case once (a node upgraded with years of history, or
// retention shortened): with 10 million rows, back-to-back batches of 500 with only a yield
// between them left requests one turn of the loop per ~100 ms batch, and a load of thousands of
// requests a second fell to a few (bench row 5). Now each batch is sized to hold the loop about
// BATCH_BUDGET_MS, rides the group commit (no fsync of its own while requests are committing), and
// is followed by REST_FACTOR times its duration of rest: pruning takes at most a tenth of the
// loop, in slices of a few milliseconds.
import type { Logger } from '../logger.js';
import type { Registry } from './index.js';

const DAY_MS = 86_400_000;

export interface RetentionOptions {
  registry: Pick<Registry, 'groupTransaction' | 'sessions' | 'audit'> & Partial<Pick<Registry, 'changes'>>;
  log: Logger;
  /** 0 = keep forever. */
  retentionDays: number;
  /** Change-feed rows kept, the newest (WGNODE_CHANGES_RETENTION); 0 or absent = keep every row. */
  changesRetention?: number;
  /** Between prunes (default 10 minutes). */
  intervalMs?: number;
  /** Most rows per transaction (default 500); batches shrink below it to fit BATCH_BUDGET_MS. */
  batchSize?: number;
  now?: () => number;
}

interface PruneResult {
  sessions: number;
  audit: number;
}

export interface HistoryRetention {
  /** One prune to the end: every expired row, in batches. Rejects only if the registry fails. */
  runOnce(): Promise<PruneResult>;
  /** The change feed's rows beyond the newest changesRetention, in batches; how many went. */
  pruneChanges(): Promise<number>;
  /** A prune now, then one every interval (no-op when nothing is pruned: retentionDays and changesRetention 0). */
  start(): void;
  /** Stops the timer and waits for a prune in progress to finish its batch. */
  stop(): Promise<void>;
}

/** Loop time one batch may take, its DELETEs and its share of the commit (ms): the batch size adapts to it. */
const BATCH_BUDGET_MS = 3;
/**
 * After each batch, rest this many times its duration: a tenth of the loop at most. (A fifth
 * raised the p99 of a c=64 load by 38 % in bench row 5; a backlog of 10 million rows per table
 * then takes about half an hour per table, and a day's history seconds.)
 */
const REST_FACTOR = 9;
const MIN_BATCH = 10;

const rest = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createHistoryRetention(options: RetentionOptions): HistoryRetention {
  const { registry, log, retentionDays } = options;
  const now = options.now ?? Date.now;
  const batchSize = options.batchSize ?? 500;
  const intervalMs = options.intervalMs ?? 600_000;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<unknown> | null = null;
  let stopped = false;

  const changesRetention = options.changesRetention ?? 0;

  async function drain(prune: (before: number, limit: number) => number, before: number): Promise<number> {
    let total = 0;
    let size = Math.min(batchSize, 100);
    while (!stopped) {
      // In the group commit: the batch shares its commit (and fsync) with the requests of its turn.
      // Timed from its first DELETE to its commit being durable: the pages a batch dirties are
      // written and synced in that shared commit, so the requests of its turn wait for them too
      // (with a warm page cache the DELETEs alone were quick, batches grew to 500 rows, and a c=64
      // load's p99 rose 1.3-1.7x in bench row 5).
      const { n, started } = await registry.groupTransaction(() => {
        const started = performance.now();
        return { n: prune(before, size), started };
      });
      const took = performance.now() - started;
      total += n;
      if (n < size) break;
      // Halve a batch over budget; grow one well under it (a small file, a warm cache).
      if (took > BATCH_BUDGET_MS) size = Math.max(MIN_BATCH, Math.floor(size / 2));
      else if (took < BATCH_BUDGET_MS / 2) size = Math.min(batchSize, Math.ceil(size * 1.25));
      await rest(took * REST_FACTOR);
    }
    return total;
  }

  async function runOnce(): Promise<PruneResult> {
    if (retentionDays === 0) return { sessions: 0, audit: 0 };
    const before = now() - retentionDays * DAY_MS;
    const result = {
      sessions: await drain((b, l) => registry.sessions.pruneEnded(b, l), before),
      audit: await drain((b, l) => registry.audit.prune(b, l), before),
    };
    if (result.sessions || result.audit) log.info({ ...result, retentionDays }, 'history retention: pruned old rows');
    return result;
  }

  async function pruneChanges(): Promise<number> {
    const { changes } = registry;
    if (changesRetention === 0 || !changes) return 0;
    // By count, not age: the feed's size stays bounded however busy the node is.
    const pruned = await drain((keep, limit) => changes.prune(keep, limit), changesRetention);
    if (pruned) log.info({ changes: pruned, changesRetention }, 'change feed retention: pruned old rows');
    return pruned;
  }

  function tick(): void {
    if (running || stopped) return;
    // A failed prune (busy, disk full, closed registry) is logged and retried next interval, never thrown from a timer.
    running = runOnce()
      .then(pruneChanges)
      .catch((error: unknown) => log.warn({ err: error }, 'history retention: prune failed; retrying next interval'))
      .finally(() => (running = null));
  }

  return {
    runOnce,
    pruneChanges,
    start() {
      if ((retentionDays === 0 && changesRetention === 0) || timer || stopped) return;
      timer = setInterval(tick, intervalMs);
      timer.unref();
      tick();
    },
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      timer = null;
      await running;
    },
  };
}

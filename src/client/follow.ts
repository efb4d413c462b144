// Follows the change feed of many nodes at once as one async iterator. Each node has its own loop:
// it reads batches from a ChangeSource (polling `changes` today; an SSE stream can implement the
// same interface), remembers the cursor of the last change it handed over, and after a dropped
// connection resumes from exactly that cursor, so no change is lost or delivered twice.
import type { ChangeFieldsFragment } from './generated/operations.js';
import type { NodeClient } from './node-client.js';
import { sleep } from './node-client.js';
import { backoffDelay, DEFAULT_RETRY, type RetryOptions } from './retry.js';

export type Change = ChangeFieldsFragment;

/** How one node's feed is read. `read` yields batches after `after` until it fails or `signal` aborts. */
export interface ChangeSource {
  read(after: string | null, signal: AbortSignal): AsyncIterable<readonly Change[]>;
}

/** The node no longer knows the cursor (wiped, restored, retention passed): resync from a snapshot. */
export class ResyncRequiredError extends Error {
  override name = 'ResyncRequiredError';
}

/** The source could not read (unreachable, or an answer other than a page); the follower reconnects. */
export class FeedReadError extends Error {
  override name = 'FeedReadError';
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

export interface PollingOptions {
  /** Wait between polls once the feed is drained (default 1000 ms). */
  intervalMs?: number;
  /** Page size (default 500). */
  first?: number;
}

/** Polls `changes(after, first)`: pages back to back while there are more, then every intervalMs. */
export function pollingSource(client: Pick<NodeClient, 'changes'>, options: PollingOptions = {}): ChangeSource {
  const intervalMs = options.intervalMs ?? 1000;
  const first = options.first ?? 500;
  return {
    async *read(after, signal) {
      let cursor = after;
      while (!signal.aborted) {
        const page = await client.changes({ after: cursor, first }, { signal });
        if (!page.ok) {
          if (page.code === 'RESYNC_REQUIRED') throw new ResyncRequiredError(page.message);
          throw new FeedReadError(page.message, page.code);
        }
        const { nodes, pageInfo } = page.data;
        yield nodes; // even empty: the node answered (a follower reports it back after an outage)
        cursor = nodes.at(-1)?.cursor ?? pageInfo.endCursor ?? cursor;
        if (!pageInfo.hasNextPage && !(await sleep(intervalMs, signal))) return;
      }
    },
  };
}

export type FeedEvent =
  | { type: 'change'; node: string; change: Change }
  /** The node's feed failed; the follower keeps reconnecting (reported once per outage). */
  | { type: 'disconnected'; node: string; code: string; message: string }
  /** The node answered again after a `disconnected`. */
  | { type: 'reconnected'; node: string }
  /** The node refused the cursor: this node is no longer followed; snapshot it, then follow again. */
  | { type: 'resync-required'; node: string; message: string };

export interface FollowOptions {
  /** Where to start per node (a cursor saved from an earlier `change` event); absent: from the beginning. */
  from?: Readonly<Record<string, string | null | undefined>>;
  /** Backoff between reconnects (retries is ignored: the follower never gives up). */
  reconnect?: Partial<RetryOptions>;
  /** Events buffered before node loops wait for the consumer (default 1000). */
  bufferSize?: number;
}

export interface Follower extends AsyncIterableIterator<FeedEvent> {
  /** The cursor of the last change handed over, per node: persist it to resume later. */
  cursors(): Record<string, string | null>;
  /** Stops every node's loop; the iterator ends. */
  stop(): Promise<void>;
}

/** Follows `sources` (node name → source) until stop() or the consumer's `break`. */
export function follow(sources: ReadonlyMap<string, ChangeSource>, options: FollowOptions = {}): Follower {
  const reconnect = { ...DEFAULT_RETRY, ...options.reconnect };
  const channel = createChannel<FeedEvent>(options.bufferSize ?? 1000);
  const abort = new AbortController();
  // Per node: the cursor of the last change the consumer took (what cursors() reports) ...
  const delivered = new Map<string, string | null>();

  async function followNode(node: string, source: ChangeSource): Promise<void> {
    // ... and the last change queued for it (where a reconnect resumes).
    let cursor = options.from?.[node] ?? null;
    delivered.set(node, cursor);
    let failures = 0;
    while (!abort.signal.aborted) {
      try {
        for await (const batch of source.read(cursor, abort.signal)) {
          if (failures > 0) await channel.push({ type: 'reconnected', node });
          failures = 0;
          for (const change of batch) {
            if (!(await channel.push({ type: 'change', node, change }))) return;
            cursor = change.cursor;
          }
        }
      } catch (error) {
        if (abort.signal.aborted) return;
        if (error instanceof ResyncRequiredError) {
          await channel.push({ type: 'resync-required', node, message: error.message });
          return;
        }
        const code = error instanceof FeedReadError ? error.code : 'FEED_ERROR';
        if (failures === 0) await channel.push({ type: 'disconnected', node, code, message: (error as Error).message });
        failures++;
      }
      // A stream that ended or failed: reconnect from the last cursor after a backoff.
      await sleep(backoffDelay(reconnect, Math.min(failures, 16)), abort.signal);
    }
  }

  const loops = Promise.all([...sources].map(([node, source]) => followNode(node, source))).finally(() => channel.close());

  async function stop(): Promise<void> {
    abort.abort();
    channel.close();
    await loops;
  }

  const iterator: Follower = {
    next: async () => {
      const result = await channel.take();
      if (!result.done && result.value.type === 'change') delivered.set(result.value.node, result.value.change.cursor);
      return result;
    },
    return: async () => {
      await stop();
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
    cursors: () => Object.fromEntries(delivered),
    stop,
  };
  return iterator;
}

/** A bounded queue between the node loops and the consumer: a full buffer makes producers wait. */
function createChannel<T>(capacity: number) {
  const items: T[] = [];
  let closed = false;
  let taker: ((result: IteratorResult<T>) => void) | null = null;
  const waitingPushers: Array<() => void> = [];

  return {
    /** Resolves true once queued; false when the channel is closed. */
    async push(item: T): Promise<boolean> {
      while (!closed && items.length >= capacity) await new Promise<void>((resolve) => waitingPushers.push(resolve));
      if (closed) return false;
      if (taker) {
        const take = taker;
        taker = null;
        take({ done: false, value: item });
      } else {
        items.push(item);
      }
      return true;
    },
    take(): Promise<IteratorResult<T>> {
      if (items.length > 0) {
        const value = items.shift() as T;
        waitingPushers.shift()?.();
        return Promise.resolve({ done: false, value });
      }
      if (closed) return Promise.resolve({ done: true, value: undefined });
      return new Promise((resolve) => (taker = resolve));
    },
    close() {
      closed = true;
      taker?.({ done: true, value: undefined });
      taker = null;
      for (const wake of waitingPushers.splice(0)) wake();
    },
  };
}

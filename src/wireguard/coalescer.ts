// Concurrent peer changes share `wg set` calls. Spawning `wg` costs milliseconds whatever it
// carries, so while one call is in flight the next requests queue, and then go out together:
// one queue, flushed in order, so a remove queued after an add of the same key wins (wg applies
// clauses left to right). Each request still answers for its own peers only: when a shared call
// fails, every request of that batch is retried on its own and learns its own fate.
import { assertPeerChange, PEERS_PER_COMMAND, type PeerChange, type SetPeers } from './interface.js';
import type { PeerChanges } from './peer-changes.js';
import { CommandTimeoutError } from './runner.js';

/** Failures in a row, when retrying a failed batch one request at a time, before giving up on the rest. */
export const GIVE_UP_AFTER = 3;

interface Pending {
  changes: readonly PeerChange[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

export interface PeerCoalescer extends PeerChanges {
  /** Resolves when nothing is queued or in flight (tests, shutdown). */
  idle(): Promise<void>;
}

export interface CoalescerOptions {
  /** Clauses per shared call; a request larger than this still goes out whole (the interface splits it). */
  maxClauses?: number;
}

/** The one implementation of PeerChanges, built on the raw `wg set` (createSetPeers). */
export function createPeerCoalescer(setPeers: SetPeers, options: CoalescerOptions = {}): PeerCoalescer {
  const maxClauses = options.maxClauses ?? PEERS_PER_COMMAND;
  const queue: Pending[] = [];
  let flushing: Promise<void> | null = null;

  function submit(changes: readonly PeerChange[]): Promise<void> {
    // A bad key fails its own request here, before it can spoil a shared argv.
    try {
      for (const change of changes) assertPeerChange(change);
    } catch (error) {
      return Promise.reject(error);
    }
    if (changes.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      queue.push({ changes, resolve, reject });
      // Started on a microtask, so requests queued in the same tick share the first call too.
      flushing ??= Promise.resolve().then(drain);
    });
  }

  async function drain(): Promise<void> {
    try {
      while (queue.length > 0) await runBatch(takeBatch());
    } finally {
      flushing = null;
    }
  }

  /** Requests from the head of the queue, in order, up to maxClauses clauses (at least one request). */
  function takeBatch(): Pending[] {
    let clauses = queue[0]!.changes.length;
    let n = 1;
    while (n < queue.length && clauses + queue[n]!.changes.length <= maxClauses) clauses += queue[n++]!.changes.length;
    return queue.splice(0, n);
  }

  async function runBatch(batch: Pending[]): Promise<void> {
    let lastError: unknown;
    try {
      await setPeers(batch.length === 1 ? batch[0]!.changes : batch.flatMap((p) => p.changes));
      for (const p of batch) p.resolve();
      return;
    } catch (error) {
      // A call that hung until the timeout says the interface is stuck, not whose clause was bad:
      // trying each request alone could hang once per request. Everyone gets the timeout now (the
      // reconciler finishes what is pending) and the requests queued behind go out right after.
      if (batch.length === 1 || error instanceof CommandTimeoutError) {
        for (const p of batch) p.reject(error);
        return;
      }
    }
    // The shared call failed: we cannot tell whose clause it was, so each request tries alone,
    // in the original order (keeps add-then-remove of one key right). Removal is idempotent.
    // When the interface itself is failing (gone, wg missing), trying thousands one by one only
    // delays every answer: after a few failures in a row the rest get the same (honest) error.
    let failedInARow = 0;
    for (const p of batch) {
      if (failedInARow >= GIVE_UP_AFTER) {
        p.reject(lastError);
        continue;
      }
      try {
        await setPeers(p.changes);
        failedInARow = 0;
        p.resolve();
      } catch (error) {
        failedInARow = error instanceof CommandTimeoutError ? GIVE_UP_AFTER : failedInARow + 1;
        lastError = error;
        p.reject(error);
      }
    }
  }

  return {
    addPeers: (peers) => submit(peers.map((add) => ({ add }))),
    removePeers: (publicKeys) => submit(publicKeys.map((remove) => ({ remove }))),
    // A request is never split across calls (takeBatch keeps it whole), so these land together.
    changePeers: (changes) => submit(changes),
    async idle() {
      while (flushing) await flushing;
    },
  };
}

// A reconcile pass over a full interface touches 65,000 rows; done in one go it blocks the event
// loop for most of a second and every request waits. These helpers do the same work in slices
// and yield between them (setImmediate: pending I/O, i.e. requests, runs first).
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { HandshakeUpdate, LiveActivity, Registry } from '../registry/index.js';

// ~3-5 ms of work a slice on this machine (docs/performance.md, row 6): a request waits at most that.
const ROWS_PER_SLICE = 1000;

// A repair's records (an audit row and a feed row, a lookup) cost ~20-30 µs: 250 are ~5-8 ms.
const RECORDS_PER_SLICE = 250;

/** Every live session, read in keyset pages by address with a yield between pages. */
export async function readLiveActivity(registry: Registry, pageSize = ROWS_PER_SLICE): Promise<LiveActivity[]> {
  const all: LiveActivity[] = [];
  for (let after = -1; ; ) {
    const page = registry.sessions.liveActivityPage(after, pageSize);
    for (const row of page) all.push(row);
    if (page.length < pageSize) return all;
    after = page[page.length - 1]!.address;
    await yieldToLoop();
  }
}

/**
 * Bookkeeping, not intent: written in short transactions, yielding between them, none waiting
 * for the disk (the next pass writes whatever a power cut lost: totals grow from the last counters kept).
 */
export async function recordHandshakesInSlices(registry: Registry, updates: readonly HandshakeUpdate[]): Promise<void> {
  for (let i = 0; i < updates.length; i += ROWS_PER_SLICE) {
    await yieldToLoop();
    registry.bookkeeping(() => registry.sessions.recordHandshakes(updates.slice(i, i + ROWS_PER_SLICE)));
  }
}

/**
 * What the commands of a pass did, recorded in short transactions with a yield before each: 500
 * repairs in one transaction held the loop ~25 ms. Every write is guarded or an append, so a crash
 * between slices loses only the later slices' records (the next pass finishes what is left ENDING).
 */
export async function recordInSlices<T>(registry: Registry, items: readonly T[], record: (slice: readonly T[]) => void): Promise<void> {
  for (let i = 0; i < items.length; i += RECORDS_PER_SLICE) {
    await yieldToLoop();
    registry.transaction(() => record(items.slice(i, i + RECORDS_PER_SLICE)));
  }
}

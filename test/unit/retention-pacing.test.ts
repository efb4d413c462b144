// History retention's pacing: a backlog of history must not take the event loop from requests.
// Each batch is sized to a few milliseconds and followed by nine times its duration of rest, so
// pruning holds at most about a tenth of the loop however slow the batches are.
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logger.js';
import { createHistoryRetention } from '../../src/registry/retention.js';

const holdThread = (ms: number) => {
  const until = performance.now() + ms;
  while (performance.now() < until) { /* a slow DELETE, or a commit's fsync */ }
};

/**
 * A registry whose every prune batch holds the thread for `batchMs`, over `rows` expired rows;
 * its commit (after the batch, before the transaction resolves) for `commitMs`.
 */
function slowRegistry(rows: number, batchMs: number, commitMs = 0) {
  let left = rows;
  const sizes: number[] = [];
  const busy = (limit: number) => {
    holdThread(batchMs);
    const n = Math.min(limit, left);
    left -= n;
    sizes.push(limit);
    return n;
  };
  return {
    sizes,
    registry: {
      groupTransaction: <T>(fn: () => T) => {
        const result = fn();
        holdThread(commitMs);
        return Promise.resolve(result);
      },
      sessions: { pruneEnded: (_before: number, limit: number) => busy(limit) },
      audit: { prune: () => 0 },
    } as unknown as Parameters<typeof createHistoryRetention>[0]['registry'],
  };
}

describe('history retention pacing', () => {
  it('a slow backlog holds at most about a tenth of the loop, and the loop keeps turning', async () => {
    const { registry, sizes } = slowRegistry(100_000, 8);
    const retention = createHistoryRetention({ registry, log: silentLogger, retentionDays: 90, batchSize: 500 });
    let turns = 0;
    const ticker = setInterval(() => turns++, 1);
    const started = performance.now();
    const stopAfter = setTimeout(() => void retention.stop(), 800);
    await retention.runOnce();
    const wall = performance.now() - started;
    clearInterval(ticker);
    clearTimeout(stopAfter);
    const pruningMs = sizes.length * 8;
    expect(pruningMs / wall).toBeLessThan(0.15);
    expect(turns).toBeGreaterThan(sizes.length * 2);
    // Over budget, the batches shrank to the smallest size.
    expect(sizes.at(-1)).toBe(10);
  });

  it('counts the commit a batch rides in its cost: quick DELETEs with a slow commit stay small', async () => {
    const { registry, sizes } = slowRegistry(100_000, 0, 8);
    const retention = createHistoryRetention({ registry, log: silentLogger, retentionDays: 90, batchSize: 500 });
    const started = performance.now();
    const stopAfter = setTimeout(() => void retention.stop(), 800);
    await retention.runOnce();
    const wall = performance.now() - started;
    clearTimeout(stopAfter);
    expect((sizes.length * 8) / wall).toBeLessThan(0.15);
    expect(sizes.at(-1)).toBe(10);
  });

  it('fast batches grow back to batchSize and a backlog is pruned to the end', async () => {
    const { registry, sizes } = slowRegistry(20_000, 0);
    const retention = createHistoryRetention({ registry, log: silentLogger, retentionDays: 90, batchSize: 500 });
    expect(await retention.runOnce()).toEqual({ sessions: 20_000, audit: 0 });
    expect(Math.max(...sizes)).toBe(500);
  });
});

// Row 7: what durability costs. Revocations (deactivateDevice) through the use case and group
// commit against a registry file on this machine's disk, with synchronous NORMAL (WAL: survives
// a crash, may lose the last commits on power loss) and FULL (what wgnode runs: the WAL is
// fsynced before a revocation is answered). The peer removal is a no-op, so the figures are the
// registry's share of a revocation: c=1 shows one fsync per request, c=64 how group commit
// spreads one fsync over a batch.
import { join } from 'node:path';
import { silentLogger } from '../../src/logger.js';
import type { SyncMode } from '../../src/registry/database.js';
import { openRegistry } from '../../src/registry/index.js';
import { createSessionService } from '../../src/sessions/index.js';
import { addressOf, POOL } from './agent-env.js';
import { percentile } from './load.js';
import { randomKey, seedRegistry } from './seed.js';
import { ms, n0, type Row } from '../../src/testbed/bench-table.js';

export interface DurabilitySizes {
  /** Revocations per mode and concurrency. */
  requests: number;
}

interface Figures {
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

export async function measureDurability(dir: string, sizes: DurabilitySizes): Promise<Row[]> {
  const rows: Row[] = [];
  const results = new Map<string, Figures>();
  for (const mode of ['NORMAL', 'FULL'] as const) {
    for (const concurrency of [1, 64]) {
      results.set(`${mode}/${concurrency}`, await revokeAll(join(dir, `durability-${mode}-${concurrency}.db`), mode, concurrency, sizes.requests));
    }
  }
  for (const concurrency of [1, 64]) {
    const normal = results.get(`NORMAL/${concurrency}`)!;
    const full = results.get(`FULL/${concurrency}`)!;
    const line = (f: Figures) => `${n0(f.perSecond)}/s, p50 ${ms(f.p50Ms)}, p99 ${ms(f.p99Ms)}`;
    rows.push({
      id: concurrency === 1 ? '7' : '7b',
      scenario: `revocation, registry only (group commit on), c=${concurrency}, ${n0(sizes.requests)} requests`,
      result: `FULL ${line(full)}; NORMAL ${line(normal)}`,
      ratio: `FULL/NORMAL p50 ${(full.p50Ms / Math.max(normal.p50Ms, 0.001)).toFixed(1)} ×, throughput ${(full.perSecond / normal.perSecond).toFixed(2)} ×`,
      met: null,
    });
  }
  return rows;
}

async function revokeAll(path: string, synchronous: SyncMode, concurrency: number, requests: number): Promise<Figures> {
  seedRegistry({ path, firstUser: 1, devices: requests, keyOf: () => randomKey(), addressOf });
  const registry = openRegistry({ path, pool: POOL, interfaceAddress: POOL.first, synchronous });
  const checkpointer = registry.startWalCheckpointer({ log: silentLogger });
  const service = createSessionService({
    registry,
    peers: { addPeers: () => Promise.resolve(), removePeers: () => Promise.resolve(), changePeers: () => Promise.resolve() },
    log: silentLogger,
    maxDevicesPerUser: 5,
  });
  const latencies: number[] = [];
  let next = 1;
  const worker = async () => {
    while (next <= requests) {
      const userId = next++;
      const started = performance.now();
      await service.deactivateDevice({ actor: 'bench', userId, deviceId: 1 });
      latencies.push(performance.now() - started);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  checkpointer?.stop();
  registry.close();
  return { perSecond: requests / seconds, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
}

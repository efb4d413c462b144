// Row 7: what durability costs. Revocations (deactivateDevice) through the use case and group
// commit against a registry file on this machine's disk, with synchronous NORMAL (WAL: survives
// a crash, may lose the last commits on power loss) and FULL (what wgnode runs: the WAL is
// fsynced before a revocation is answered). The peer removal is a no-op, so the figures are the
// registry's share of a revocation: c=1 shows one fsync per request, c=64 how group commit
// spreads one fsync over a batch.
// Rows 7c and 7d: the same registry alone (FULL) in the shapes of rows 3 and 3b (their registry
// size, count and concurrency): what rows 3 and 3b cost before any HTTP, GraphQL or `wg`, so the
// run can say how low those rows could go at all (scripts/bench.ts, "bounds").
// Rows 7e and 7f: the same for rows 2c and 2d, activate and connect (FULL, c=64, a no-op add).
import { join } from 'node:path';
import { silentLogger } from '../../src/logger.js';
import type { SyncMode } from '../../src/registry/database.js';
import { openRegistry } from '../../src/registry/index.js';
import { createSessionService } from '../../src/sessions/index.js';
import { addressOf, INPUTS, POOL } from './agent-env.js';
import { percentile } from './load.js';
import { randomKey, seedRegistry } from './seed.js';
import { ms, n0, n2, type Row } from '../../src/testbed/bench-table.js';
import type { Sizes } from './options.js';

export interface DurabilitySizes {
  /** Revocations per mode and concurrency. */
  requests: number;
}

interface Figures {
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

export async function measureDurability(dir: string, sizes: DurabilitySizes, shape: Sizes['revoke']): Promise<Row[]> {
  const rows: Row[] = [];
  const results = new Map<string, Figures>();
  for (const mode of ['NORMAL', 'FULL'] as const) {
    for (const concurrency of [1, 64]) {
      const path = join(dir, `durability-${mode}-${concurrency}.db`);
      results.set(`${mode}/${concurrency}`, await runAll(path, { ...REVOKE, synchronous: mode, concurrency, requests: sizes.requests, devices: sizes.requests }));
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
      figures: { fullPerSecond: full.perSecond },
    });
  }
  for (const [id, bounds, name, operation] of [['7e', '2c', 'activateDevice', ACTIVATE], ['7f', '2d', 'connectDevice', CONNECT]] as const) {
    const f = await runAll(join(dir, `registry-${name}.db`), { ...operation, synchronous: 'FULL', concurrency: 64, requests: sizes.requests, devices: sizes.requests });
    rows.push({
      id,
      scenario: `${name}, registry only (group commit on, FULL, no-op add), c=64, ${n0(sizes.requests)} requests: row ${bounds}'s registry share`,
      result: `${n0(f.perSecond)}/s, p50 ${ms(f.p50Ms)}, p99 ${ms(f.p99Ms)}`,
      met: null,
      figures: { perSecond: f.perSecond },
    });
  }
  const singles = await runAll(join(dir, 'registry-row3.db'), { ...REVOKE, synchronous: 'FULL', concurrency: shape.connections, requests: shape.requests, devices: shape.peers });
  const singlesSeconds = shape.requests / singles.perSecond;
  rows.push({
    id: '7c',
    scenario: `registry only, row 3's shape: ${n0(shape.requests)} deactivateDevice at c=${shape.connections} on ${n0(shape.peers)} live sessions (FULL, group commit, no-op removal)`,
    result: `${n2(singlesSeconds)} s, ${n0(singles.perSecond)}/s, p50 ${ms(singles.p50Ms)}, p99 ${ms(singles.p99Ms)}`,
    met: null,
    figures: { seconds: singlesSeconds },
  });
  const bulkSeconds = await revokeInBulk(join(dir, 'registry-row3b.db'), shape.bulkItems, shape.peers);
  rows.push({
    id: '7d',
    scenario: `registry only, row 3b's shape: one deactivateDevices of ${n0(shape.bulkItems)} items on ${n0(shape.peers)} live sessions (FULL, no-op removal)`,
    result: `${n2(bulkSeconds)} s, ${n0((bulkSeconds * 1e6) / shape.bulkItems)} µs an item`,
    met: null,
    figures: { seconds: bulkSeconds },
  });
  return rows;
}

const noRemoval = { addPeers: () => Promise.resolve(), removePeers: () => Promise.resolve(), changePeers: () => Promise.resolve() };

type Service = ReturnType<typeof createSessionService>;

/** What a row runs on each user (the input rows 2b-2d send), and whether that user's device 1 has a live session to start with. */
interface Operation {
  sessions: boolean;
  run: (service: Service, userId: number) => Promise<unknown>;
}

const REVOKE: Operation = { sessions: INPUTS.deactivate.sessions, run: (service, userId) => service.deactivateDevice({ actor: 'bench', ...INPUTS.deactivate.of(userId) }) };
const ACTIVATE: Operation = { sessions: INPUTS.activate.sessions, run: (service, userId) => service.activateDevice({ actor: 'bench', ...INPUTS.activate.of(userId) }) };
const CONNECT: Operation = { sessions: INPUTS.connect.sessions, run: (service, userId) => service.connectDevice({ actor: 'bench', ...INPUTS.connect.of(userId) }) };

/** A registry file of `devices` users, each with a device 1 (with one live session, or none), opened as the agent opens it. */
function openSeeded(path: string, devices: number, synchronous: SyncMode, sessions = true) {
  seedRegistry({ path, firstUser: 1, devices, keyOf: sessions ? () => randomKey() : () => null, addressOf });
  const registry = openRegistry({ path, pool: POOL, interfaceAddress: POOL.first, synchronous });
  const checkpointer = registry.startWalCheckpointer({ log: silentLogger });
  const service = createSessionService({ registry, peers: noRemoval, log: silentLogger, maxDevicesPerUser: 5 });
  const close = () => {
    checkpointer?.stop();
    registry.close();
  };
  return { service, close };
}

/** One bulk deactivation of users 1..items, timed from the call to its answer (seconds). */
async function revokeInBulk(path: string, items: number, devices: number): Promise<number> {
  const { service, close } = openSeeded(path, devices, 'FULL');
  try {
    const started = performance.now();
    const outcomes = await service.deactivateDevices({ actor: 'bench', items: Array.from({ length: items }, (_, i) => ({ userId: i + 1, deviceId: 1 })) });
    const seconds = (performance.now() - started) / 1000;
    const failed = outcomes.filter((o) => !o.ok).length;
    if (failed > 0) throw new Error(`${failed} of the bulk's ${items} items failed`);
    return seconds;
  } finally {
    close();
  }
}

async function runAll(path: string, run: Operation & { synchronous: SyncMode; concurrency: number; requests: number; devices: number }): Promise<Figures> {
  const { service, close } = openSeeded(path, run.devices, run.synchronous, run.sessions);
  const latencies: number[] = [];
  let next = 1;
  const worker = async () => {
    while (next <= run.requests) {
      const userId = next++;
      const started = performance.now();
      await run.run(service, userId);
      latencies.push(performance.now() - started);
    }
  };
  try {
    const started = performance.now();
    await Promise.all(Array.from({ length: run.concurrency }, worker));
    const seconds = (performance.now() - started) / 1000;
    return { perSecond: run.requests / seconds, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
  } finally {
    close();
  }
}

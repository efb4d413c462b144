// Row 5: does a big registry (a million ENDED sessions with their audit rows, 50,000 ACTIVE)
// answer disconnects like a small one? Same load on both, no-op runner.
import { join } from 'node:path';
import { agentEnv, addressOf, DISCONNECT, fakeKey, TOKEN } from './agent-env.js';
import { graphqlBody, runLoad, type LoadResult } from './load.js';
import type { Sizes } from './options.js';
import { seedRegistry } from './seed.js';
import { startServer } from './server-process.js';
import { ms, n0, n2, type Row } from './table.js';

export async function measureRegistryScale(dir: string, sizes: Sizes['registry']): Promise<Row[]> {
  const { requests, warm, connections } = sizes;
  const small = await disconnectLoad(join(dir, 'small.db'), { devices: warm + requests, history: 0 }, sizes);
  const big = await disconnectLoad(join(dir, 'big.db'), { devices: Math.max(sizes.active, warm + requests), history: sizes.ended }, sizes);
  const ratio50 = big.p50Ms / small.p50Ms;
  const ratio99 = big.p99Ms / small.p99Ms;
  const worst = Math.max(ratio50, ratio99);
  return [
    {
      id: '5',
      scenario: `disconnect, ${n0(sizes.ended)} ENDED + ${n0(Math.max(sizes.active, warm + requests))} ACTIVE vs ${n0(warm + requests)} ACTIVE, c=${connections}`,
      result: `big: p50 ${ms(big.p50Ms)}, p99 ${ms(big.p99Ms)}, ${n0(big.perSecond)} req/s; small: p50 ${ms(small.p50Ms)}, p99 ${ms(small.p99Ms)}, ${n0(small.perSecond)} req/s`,
      ratio: `p50 ${n2(ratio50)} ×, p99 ${n2(ratio99)} ×`,
      target: '≤ 1.2 ×',
      met: worst <= 1.2,
    },
  ];
}

async function disconnectLoad(db: string, shape: { devices: number; history: number }, sizes: Sizes['registry']): Promise<LoadResult> {
  seedRegistry({ path: db, firstUser: 1, devices: shape.devices, keyOf: fakeKey, addressOf, history: shape.history });
  const agent = await startServer({ kind: 'agent', env: agentEnv(db), noopRunner: true });
  try {
    const body = (first: number) => (i: number) => graphqlBody(DISCONNECT, { userId: first + i, deviceId: 1 });
    await runLoad({ url: agent.url, connections: sizes.connections, amount: sizes.warm, token: TOKEN, body: body(1) });
    return await runLoad({ url: agent.url, connections: sizes.connections, amount: sizes.requests, token: TOKEN, body: body(1 + sizes.warm) });
  } finally {
    await agent.stop();
  }
}

// Rows 1-2: the HTTP floor (bare Hono) and disconnect throughput through the whole agent with a
// no-op command runner, same server setup, same load generator, same concurrency.
import { join } from 'node:path';
import { agentEnv, addressOf, DISCONNECT, fakeKey, TOKEN } from './agent-env.js';
import { graphqlBody, runLoad, type LoadResult } from './load.js';
import type { Sizes } from './options.js';
import { seedRegistry } from './seed.js';
import { startServer } from './server-process.js';
import { ms, n0, n2, unexpectedNote, type Row } from './table.js';

export async function measureHttp(dir: string, sizes: Sizes['http']): Promise<{ rows: Row[]; floor: LoadResult }> {
  const { requests, warm, connections } = sizes;
  const floorServer = await startServer({ kind: 'floor' });
  const floorBody = () => graphqlBody(DISCONNECT, { userId: 1, deviceId: 1 });
  const measureFloor = () => runLoad({ url: floorServer.url, connections, amount: requests, body: floorBody });
  let floor: LoadResult;
  let disconnect: LoadResult;
  try {
    await runLoad({ url: floorServer.url, connections, amount: warm, body: floorBody });
    floor = await measureFloor();
    disconnect = await measureDisconnect(dir, sizes);
    // The floor again, after: on a shared machine the load of others drifts; the ceiling is the
    // better of the two, so the ratio errs against wgnode, never for it.
    const again = await measureFloor();
    if (again.perSecond > floor.perSecond) floor = again;
  } finally {
    await floorServer.stop();
  }

  const ratio = disconnect.perSecond / floor.perSecond;
  return {
    floor,
    rows: [
      {
        id: '1',
        scenario: `HTTP floor: bare Hono, fixed JSON, c=${connections} (best of a run before and after row 2)`,
        result: `${n0(floor.perSecond)} req/s, p50 ${ms(floor.p50Ms)}, p99 ${ms(floor.p99Ms)}`,
        note: unexpectedNote(floor.unexpected) || undefined,
      },
      {
        id: '2',
        scenario: `disconnectByUserIdAndDeviceId, no-op runner, c=${connections}`,
        result: `${n0(disconnect.perSecond)} req/s, p50 ${ms(disconnect.p50Ms)}, p99 ${ms(disconnect.p99Ms)}`,
        ratio: `${n2(ratio)} × floor`,
        target: '≥ 0.5 × floor',
        met: ratio >= 0.5 && Object.keys(disconnect.unexpected).length === 0,
        note: unexpectedNote(disconnect.unexpected) || undefined,
      },
    ],
  };
}

async function measureDisconnect(dir: string, sizes: Sizes['http']): Promise<LoadResult> {
  const { requests, warm, connections } = sizes;
  const db = join(dir, 'http.db');
  seedRegistry({ path: db, firstUser: 1, devices: warm + requests, keyOf: fakeKey, addressOf });
  const agent = await startServer({ kind: 'agent', env: agentEnv(db), noopRunner: true });
  try {
    // User i's device is disconnected by exactly one request: every request ends a session.
    const body = (first: number) => (i: number) => graphqlBody(DISCONNECT, { userId: first + i, deviceId: 1 });
    await runLoad({ url: agent.url, connections, amount: warm, token: TOKEN, body: body(1) });
    return await runLoad({ url: agent.url, connections, amount: requests, token: TOKEN, body: body(1 + warm) });
  } finally {
    await agent.stop();
  }
}

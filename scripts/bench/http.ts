// Rows 1-2d: the HTTP floor (bare Hono) and the mutations' throughput through the whole agent
// with a no-op command runner, against a registry of `warm + requests` devices: same server
// setup, same load generator, same concurrency. Every request does real work (its own device).
import { join } from 'node:path';
import { ACTIVATE, agentEnv, addressOf, CONNECT, DEACTIVATE, DISCONNECT, fakeKey, INPUTS, TOKEN } from './agent-env.js';
import { graphqlBody, runLoad, type LoadResult } from './load.js';
import type { Sizes } from './options.js';
import { seedRegistry } from './seed.js';
import { startServer, type BenchServer } from './server-process.js';
import { metWithout, ms, n0, n2, unexpectedProblems, type Row } from '../../src/testbed/bench-table.js';
import { TARGETS } from '../../src/testbed/bench-targets.js';

interface Mutation {
  id: string;
  name: string;
  /** Floor ratio to reach (the target). */
  target: number;
  /** false: the seeded devices have no session (connect); true: each has one ACTIVE session. */
  sessions: boolean;
  body: (userId: number) => string;
}

const MUTATIONS: Mutation[] = [
  { id: '2', name: 'disconnectByUserIdAndDeviceId', target: TARGETS.revocationVsFloor, sessions: INPUTS.disconnect.sessions, body: (userId) => graphqlBody(DISCONNECT, INPUTS.disconnect.of(userId)) },
  { id: '2b', name: 'deactivateDevice', target: TARGETS.revocationVsFloor, sessions: INPUTS.deactivate.sessions, body: (userId) => graphqlBody(DEACTIVATE, INPUTS.deactivate.of(userId)) },
  { id: '2c', name: 'activateDevice', target: TARGETS.activationVsFloor, sessions: INPUTS.activate.sessions, body: (userId) => graphqlBody(ACTIVATE, INPUTS.activate.of(userId)) },
  { id: '2d', name: 'connectDevice', target: TARGETS.activationVsFloor, sessions: INPUTS.connect.sessions, body: (userId) => graphqlBody(CONNECT, INPUTS.connect.of(userId)) },
];

/** A load's result and the CPU its server spent on it (µs a request, every thread of the process). */
type Measured = LoadResult & { cpuUsPerRequest: number };

/** Runs the load, reading the server's CPU time before and after it. */
async function withServerCpu(server: BenchServer, load: () => Promise<LoadResult>): Promise<Measured> {
  const before = await server.call<{ cpuUs: number }>('stats');
  const result = await load();
  const after = await server.call<{ cpuUs: number }>('stats');
  return { ...result, cpuUsPerRequest: (after.cpuUs - before.cpuUs) / result.requests };
}

export async function measureHttp(dir: string, sizes: Sizes['http']): Promise<Row[]> {
  const { requests, warm, connections } = sizes;
  const floorServer = await startServer({ kind: 'floor' });
  const floorBody = () => graphqlBody(DISCONNECT, { userId: 1, deviceId: 1 });
  const measureFloor = () => withServerCpu(floorServer, () => runLoad({ url: floorServer.url, connections, amount: requests, body: floorBody }));
  let floor: Measured;
  const measured: Array<{ mutation: Mutation; load: Measured }> = [];
  try {
    await runLoad({ url: floorServer.url, connections, amount: warm, body: floorBody });
    floor = await measureFloor();
    for (const mutation of MUTATIONS) measured.push({ mutation, load: await measureMutation(dir, sizes, mutation) });
    // The floor again, after: on a shared machine the load of others drifts; the ceiling is the
    // better of the two, so the ratios err against wgnode, never for it.
    const again = await measureFloor();
    if (again.perSecond > floor.perSecond) floor = again;
  } finally {
    await floorServer.stop();
  }

  const rows: Row[] = [
    {
      id: '1',
      scenario: `HTTP floor: bare Hono, fixed JSON, c=${connections} (best of a run before and after rows 2-2d)`,
      result: `${n0(floor.perSecond)} req/s, p50 ${ms(floor.p50Ms)}, p99 ${ms(floor.p99Ms)}; server CPU ${n0(floor.cpuUsPerRequest)} µs/request`,
      problems: unexpectedProblems(floor.unexpected),
      figures: { perSecond: floor.perSecond },
    },
  ];
  for (const { mutation, load } of measured) {
    const ratio = load.perSecond / floor.perSecond;
    const problems = unexpectedProblems(load.unexpected);
    rows.push({
      id: mutation.id,
      scenario: `${mutation.name}, no-op runner, c=${connections}, registry of ${n0(warm + requests)} devices`,
      // CPU per request beside the rate: the rate moves with the VM, the cost much less.
      result: `${n0(load.perSecond)} req/s, p50 ${ms(load.p50Ms)}, p99 ${ms(load.p99Ms)}; agent CPU ${n0(load.cpuUsPerRequest)} µs/request`,
      ratio: `${n2(ratio)} × floor (CPU ${n2(load.cpuUsPerRequest / floor.cpuUsPerRequest)} × floor's)`,
      target: `≥ ${mutation.target} × floor`,
      met: metWithout(problems, ratio >= mutation.target),
      problems,
    });
  }
  return rows;
}

async function measureMutation(dir: string, sizes: Sizes['http'], mutation: Mutation): Promise<Measured> {
  const { requests, warm, connections } = sizes;
  const db = join(dir, `http-${mutation.id}.db`);
  seedRegistry({ path: db, firstUser: 1, devices: warm + requests, keyOf: mutation.sessions ? fakeKey : () => null, addressOf });
  const agent = await startServer({ kind: 'agent', env: agentEnv(db), noopRunner: true });
  try {
    // User i is the subject of exactly one request.
    await runLoad({ url: agent.url, connections, amount: warm, token: TOKEN, body: (i) => mutation.body(1 + i) });
    return await withServerCpu(agent, () => runLoad({ url: agent.url, connections, amount: requests, token: TOKEN, body: (i) => mutation.body(1 + warm + i) }));
  } finally {
    await agent.stop();
  }
}

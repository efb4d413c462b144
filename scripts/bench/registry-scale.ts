// Row 5: does a big registry (10 million ENDED sessions and 10 million audit rows, all past the
// default 90-day retention) answer disconnects like an empty one? And does history retention,
// pruning that history in the background, leave the answers as they were? Same load on each,
// no-op runner, c=64:
// - empty: only the live devices;
// - big: the history kept (WGNODE_HISTORY_RETENTION_DAYS=0);
// - big, pruning: the same file, retention on (the default 90 days), its pruning started with
//   the agent, so it deletes history while the load runs.
// The three loads run in ROUNDS rounds, interleaved, and each figure is the median of its rounds:
// one load's p99 moved by a third between identical runs on this VM, as much as the effect.
import { join } from 'node:path';
import { inspectRegistryFile } from '../../src/registry/file-inspection.js';
import { agentEnv, addressOf, DISCONNECT, fakeKey, TOKEN } from './agent-env.js';
import { graphqlBody, percentile, runLoad, type LoadResult } from './load.js';
import type { Sizes } from './options.js';
import { seedRegistry } from './seed.js';
import { startServer } from './server-process.js';
import { metWithout, ms, n0, n1, n2, unexpectedProblems, type Row } from '../../src/testbed/bench-table.js';
import { TARGETS } from '../../src/testbed/bench-targets.js';

const ROUNDS = 3;

export async function measureRegistryScale(dir: string, sizes: Sizes['registry']): Promise<Row[]> {
  const { requests, warm, connections, ended } = sizes;
  const perRun = warm + requests;
  const emptyDb = join(dir, 'empty.db');
  seedRegistry({ path: emptyDb, firstUser: 1, devices: ROUNDS * perRun, keyOf: fakeKey, addressOf });
  // Two loads a round on the big file; every load on users of its own.
  const bigDb = join(dir, 'big.db');
  const seedStarted = performance.now();
  seedRegistry({ path: bigDb, firstUser: 1, devices: Math.max(sizes.active, 2 * ROUNDS * perRun), keyOf: fakeKey, addressOf, history: ended });
  const seedSeconds = (performance.now() - seedStarted) / 1000;

  const rounds: Array<{ empty: LoadResult; big: LoadResult; pruning: LoadResult }> = [];
  let pruned = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const empty = await disconnectLoad(emptyDb, 1 + round * perRun, sizes, { WGNODE_HISTORY_RETENTION_DAYS: '0' }, false);
    const big = await disconnectLoad(bigDb, 1 + 2 * round * perRun, sizes, { WGNODE_HISTORY_RETENTION_DAYS: '0' }, false);
    const before = historyRows(bigDb);
    const pruning = await disconnectLoad(bigDb, 1 + (2 * round + 1) * perRun, sizes, { WGNODE_HISTORY_RETENTION_DAYS: '90' }, true);
    // Each answered disconnect added one ENDED session and one audit row (too new to prune).
    pruned += before + 2 * pruning.requestsDone - historyRows(bigDb);
    rounds.push({ empty, big, pruning });
  }
  const empty = medianLoad(rounds.map((r) => r.empty));
  const big = medianLoad(rounds.map((r) => r.big));
  const pruning = medianLoad(rounds.map((r) => r.pruning));

  const big50 = big.p50Ms / empty.p50Ms;
  const big99 = big.p99Ms / empty.p99Ms;
  const prune99 = pruning.p99Ms / big.p99Ms;
  const problems = [...unexpectedProblems(empty.unexpected), ...unexpectedProblems(big.unexpected), ...unexpectedProblems(pruning.unexpected)];
  if (pruned <= 0) problems.push('retention pruned nothing while the load ran');
  const figure = (l: LoadResult) => `p50 ${ms(l.p50Ms)}, p99 ${ms(l.p99Ms)}, ${n0(l.perSecond)} req/s`;
  return [
    {
      id: '5',
      scenario: `disconnect at c=${connections}: ${n0(ended)} ENDED sessions + ${n0(ended)} audit rows vs an empty registry; then the same while retention prunes that history`,
      result: `medians of ${ROUNDS} interleaved rounds: empty: ${figure(empty)}; big: ${figure(big)}; big while pruning: ${figure(pruning)}, ${n0(pruned)} history rows pruned meanwhile`,
      ratio: `big/empty p50 ${n2(big50)} ×, p99 ${n2(big99)} ×; pruning/big p99 ${n2(prune99)} ×`,
      target: `big ≤ ${TARGETS.historyVsEmpty} × empty; pruning p99 ≤ ${TARGETS.pruningVsBig} × big`,
      met: metWithout(problems, Math.max(big50, big99) <= TARGETS.historyVsEmpty && prune99 <= TARGETS.pruningVsBig),
      note: `seeding the history took ${n1(seedSeconds)} s`,
      problems,
    },
  ];
}

/** The measured load, and how many disconnects were answered in all (warm-up included). */
async function disconnectLoad(db: string, firstUser: number, sizes: Sizes['registry'], env: Record<string, string>, retention: boolean): Promise<LoadResult & { requestsDone: number }> {
  const agent = await startServer({ kind: 'agent', env: agentEnv(db, env), noopRunner: true, retention });
  try {
    const body = (first: number) => (i: number) => graphqlBody(DISCONNECT, { userId: first + i, deviceId: 1 });
    const warmUp = await runLoad({ url: agent.url, connections: sizes.connections, amount: sizes.warm, token: TOKEN, body: body(firstUser) });
    const measured = await runLoad({ url: agent.url, connections: sizes.connections, amount: sizes.requests, token: TOKEN, body: body(firstUser + sizes.warm) });
    return { ...measured, requestsDone: warmUp.requests + measured.requests };
  } finally {
    await agent.stop();
  }
}

/** Each figure the median of its rounds (problems of every round kept). */
function medianLoad(loads: readonly LoadResult[]): LoadResult {
  const median = (pick: (l: LoadResult) => number) => percentile(loads.map(pick), 50);
  const unexpected: Record<string, number> = {};
  for (const l of loads) for (const [kind, n] of Object.entries(l.unexpected)) unexpected[kind] = (unexpected[kind] ?? 0) + n;
  return { requests: median((l) => l.requests), seconds: median((l) => l.seconds), perSecond: median((l) => l.perSecond), p50Ms: median((l) => l.p50Ms), p99Ms: median((l) => l.p99Ms), unexpected };
}

/** ENDED sessions plus audit rows in the file (read after the agent closed it). */
function historyRows(path: string): number {
  const { sessions, liveSessions, auditEntries } = inspectRegistryFile(path, (file) => file.counts());
  return sessions - liveSessions + auditEntries;
}

// Rows 3, 3b and 4 on a real interface (wireguard-go in the host's namespace, so `wg` runs with
// no `ip netns exec` in the path), through the agent as `npm start` runs it (the built
// `node dist/src/cli/main.js serve`), started cold on a registry of `peers` sessions:
// - 4: one request at a time on the idle node, cold (just started) and warm (after row 3), beside
//   bare `wg set IFACE peer K remove` processes timed in the same run;
// - 3: 10,000 deactivateDevice at c=256 beside the naive way (one `wg` process per peer);
// - 3b: the same number as ONE deactivateDevices request.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startWgnode, type WgnodeProcess } from '../../src/testbed/index.js';
import { addressOf, agentEnv, allowedIpsOf, CONNECT, DEACTIVATE, DEACTIVATE_MANY, DISCONNECT, TOKEN } from './agent-env.js';
import { graphqlBody, percentile, runLoad, type LoadResult } from './load.js';
import type { Sizes } from './options.js';
import { randomKey, seedRegistry } from './seed.js';
import { metWithout, ms, n0, n1, n2, unexpectedProblems, type Row } from '../../src/testbed/bench-table.js';
import { TARGETS } from '../../src/testbed/bench-targets.js';
import { addPeersBulk, countPeers, ifaceEnv, removeOneByOne, wg, type Iface } from './wg.js';

const ROOT = new URL('../..', import.meta.url).pathname;

export async function measureRevocation(dir: string, target: Iface, sizes: Sizes['revoke'], latency: Sizes['latency'], quick: boolean): Promise<Row[]> {
  const { peers, requests, connections, bulkItems } = sizes;
  const k = latency.requests;
  // Users, in order: row 3's, row 3b's, then the cold and the warm disconnects of row 4.
  const mass = { first: 1, n: requests };
  const bulk = { first: mass.first + mass.n, n: bulkItems };
  const cold = { first: bulk.first + bulk.n, n: k };
  const warm = { first: cold.first + cold.n, n: k };
  if (warm.first + warm.n - 1 > peers) throw new Error(`revoke sizes: ${peers} peers are fewer than the ${warm.first + warm.n - 1} users the rows need`);
  const keys = Array.from({ length: peers + 1 }, () => randomKey()); // keys[user], user 1..peers
  const peerOf = (user: number) => ({ key: keys[user]!, allowedIps: allowedIpsOf(user) });
  const users = (range: { first: number; n: number }) => Array.from({ length: range.n }, (_, i) => range.first + i);
  // A stale build fails a full run (its figures would be of old code); --quick only says so.
  const stale = staleBuild();
  const problems = stale && !quick ? [stale] : [];

  const seedStarted = performance.now();
  await addPeersBulk(target, users({ first: 1, n: peers }).map(peerOf));
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  const db = join(dir, 'revoke.db');
  seedRegistry({ path: db, firstUser: 1, devices: peers, keyOf: (u) => keys[u]!, addressOf });
  // Devices without a session, for the connect latency.
  seedRegistry({ path: db, firstUser: peers + 1, devices: k, keyOf: () => null, addressOf });

  const spawned = performance.now();
  // BENCH_CPU_PROF=DIR: a V8 CPU profile of this agent too, written when it exits.
  const nodeArgs = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const agent = await startWgnode(agentEnv(db, ifaceEnv(target)), { built: true, nodeArgs });
  const startupMs = performance.now() - spawned;
  const rows: Row[] = [];
  try {
    const one = { url: agent.url, connections: 1, token: TOKEN };
    const disconnects = (range: { first: number; n: number }) =>
      runLoad({ ...one, amount: range.n, body: (i) => graphqlBody(DISCONNECT, { userId: range.first + i, deviceId: 1 }) });
    // Row 4, cold: the first requests the fresh process serves.
    const coldDisconnect = await disconnects(cold);
    const newKeys = Array.from({ length: k }, () => randomKey());
    const connect = await runLoad({ ...one, amount: k, body: (i) => graphqlBody(CONNECT, { userId: peers + 1 + i, deviceId: 1, publicKey: newKeys[i] }) });
    // The physical limit beside it: the same removal as one bare `wg` process, on peers of its own.
    const bareKeys = Array.from({ length: k }, () => randomKey());
    await addPeersBulk(target, bareKeys.map((key, i) => ({ key, allowedIps: allowedIpsOf(peers + k + 1 + i) })));
    const bare = await timeEach(bareKeys, (key) => wg(target, ['set', target.iface, 'peer', key, 'remove']));

    // Row 3: mass revocation. A mutation answers only once its peer is gone, so the last answer
    // is the moment the last peer is gone.
    const revoke = await runLoad({ url: agent.url, connections, amount: requests, token: TOKEN, body: (i) => graphqlBody(DEACTIVATE, { userId: mass.first + i, deviceId: 1 }) });
    const leftAfterAgent = await countPeers(target);
    // The naive way, same interface, same peers: put them back, then one process per removal.
    await addPeersBulk(target, users(mass).map(peerOf));
    const naiveSeconds = await removeOneByOne(target, users(mass).map((u) => keys[u]!));
    const leftAfterNaive = await countPeers(target);
    // Seeded, less the cold disconnects, plus the connects, less row 3's.
    const expectedLeft = peers - k + k - requests;
    const massProblems = [...unexpectedProblems(revoke.unexpected)];
    if (leftAfterAgent !== expectedLeft || leftAfterNaive !== expectedLeft) massProblems.push(`peers left ${leftAfterAgent}/${leftAfterNaive}, expected ${expectedLeft}`);
    const speedup = naiveSeconds / revoke.seconds;

    // Row 4, warm: the same requests after the process has served thousands.
    const warmDisconnect = await disconnects(warm);
    const latencyProblems = unexpectedProblems({ ...coldDisconnect.unexpected, ...connect.unexpected, ...warmDisconnect.unexpected });
    const ratio = warmDisconnect.p99Ms / bare.p99Ms;
    rows.push({
      id: '4',
      scenario: `single requests on an idle real interface (${n0(peers)} peers, no ip netns exec), c=1, \`npm start\` (built): cold = its first ${k} requests, warm = after row 3`,
      result:
        `disconnect warm p50 ${ms(warmDisconnect.p50Ms)}, p99 ${ms(warmDisconnect.p99Ms)}; cold p50 ${ms(coldDisconnect.p50Ms)}, p99 ${ms(coldDisconnect.p99Ms)}; ` +
        `connect (cold) p50 ${ms(connect.p50Ms)}, p99 ${ms(connect.p99Ms)}; bare wg set … remove p50 ${ms(bare.p50Ms)}, p99 ${ms(bare.p99Ms)}; start-up ${ms(startupMs)}`,
      ratio: `warm p99 ${n2(ratio)} × bare wg (cold ${n2(coldDisconnect.p99Ms / bare.p99Ms)} ×)`,
      target: `warm disconnect p99 ≤ ${TARGETS.idleVsBareWg} × bare wg p99`,
      met: metWithout([...problems, ...latencyProblems], ratio <= TARGETS.idleVsBareWg),
      problems: [...problems, ...latencyProblems],
    });
    rows.push({
      id: '3',
      scenario: `mass revocation: ${n0(requests)} deactivateDevice at c=${connections}, ${n0(peers)} peers on the interface`,
      result: `${n2(revoke.seconds)} s, ${n0(requests / revoke.seconds)} removals/s; naive (1 wg process per peer, ${n0(requests)} peers): ${n1(naiveSeconds)} s, ${n0(requests / naiveSeconds)} removals/s`,
      ratio: `${n1(speedup)} × naive`,
      target: `≤ ${TARGETS.massSeconds} s, ≥ ${TARGETS.massVsNaive} × naive`,
      met: metWithout([...problems, ...massProblems], revoke.seconds <= TARGETS.massSeconds && speedup >= TARGETS.massVsNaive),
      note: [`seeding ${n0(peers)} peers took ${n2(seedSeconds)} s`, stale && quick ? stale : ''].filter(Boolean).join('; '),
      problems: [...problems, ...massProblems],
    });

    // Row 3b: the same revocation as ONE bulk request.
    const items = users(bulk).map((userId) => ({ userId, deviceId: 1 }));
    const started = performance.now();
    const res = await fetch(`${agent.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: graphqlBody(DEACTIVATE_MANY, { items }),
    });
    const answer = (await res.json()) as { data?: { deactivateDevices: Array<{ ok: boolean }> } };
    const bulkSeconds = (performance.now() - started) / 1000;
    const okItems = answer.data?.deactivateDevices.filter((r) => r.ok).length ?? 0;
    const left = await countPeers(target);
    const bulkProblems = res.status !== 200 || okItems !== bulkItems || left !== expectedLeft - k - bulkItems ? [`HTTP ${res.status}, ${okItems} ok, ${left} peers left`] : [];
    rows.push({
      id: '3b',
      scenario: `bulk: one deactivateDevices request with ${n0(bulkItems)} items`,
      result: `${n2(bulkSeconds)} s, ${n0(bulkItems / bulkSeconds)} removals/s`,
      ratio: `${n2(bulkSeconds)} s`,
      target: `≤ ${TARGETS.bulkSeconds} s`,
      met: metWithout([...problems, ...bulkProblems], bulkSeconds <= TARGETS.bulkSeconds),
      problems: [...problems, ...bulkProblems],
    });
  } finally {
    await stopAgent(agent);
  }
  return rows;
}

/** Runs each call one after another; the per-call latencies' p50 and p99 (ms). */
async function timeEach<T>(items: readonly T[], call: (item: T) => Promise<unknown>): Promise<Pick<LoadResult, 'p50Ms' | 'p99Ms'>> {
  const times: number[] = [];
  for (const item of items) {
    const started = performance.now();
    await call(item);
    times.push(performance.now() - started);
  }
  return { p50Ms: percentile(times, 50), p99Ms: percentile(times, 99) };
}

async function stopAgent(agent: WgnodeProcess): Promise<void> {
  await agent.stop();
  if (agent.child.exitCode !== 0 && agent.child.signalCode !== 'SIGTERM') throw new Error(`the agent exited with ${agent.child.exitCode ?? agent.child.signalCode}:\n${agent.output()}`);
}

/** The rows run the build (`npm start`'s command): one older than the sources would measure old code. */
function staleBuild(): string | null {
  const built = join(ROOT, 'dist/src/cli/main.js');
  if (!existsSync(built)) return 'no build (dist/): run `npm run build`';
  const builtAt = statSync(built).mtimeMs;
  const newer = (path: string): boolean =>
    readdirSync(path, { withFileTypes: true }).some((e) => (e.isDirectory() ? newer(join(path, e.name)) : e.name.endsWith('.ts') && statSync(join(path, e.name)).mtimeMs > builtAt));
  return newer(join(ROOT, 'src')) ? 'dist/ is older than src/: run `npm run build` (the rows would measure old code)' : null;
}

// Rows 3-4 on a real interface (wireguard-go in a namespace): single-request latency on an idle
// node, mass revocation through the agent (10,000 deactivateDevice requests at c=256) beside the
// naive way (one `wg set … remove` process per peer) on the same peers, and the bulk mutation.
import { join } from 'node:path';
import { addressOf, agentEnv, allowedIpsOf, CONNECT, DEACTIVATE, DEACTIVATE_MANY, DISCONNECT, TOKEN } from './agent-env.js';
import { graphqlBody, runLoad } from './load.js';
import type { Sizes } from './options.js';
import { randomKey, seedRegistry } from './seed.js';
import { startServer } from './server-process.js';
import { ms, n0, n1, n2, unexpectedNote, type Row } from './table.js';
import { addPeersBulk, countPeers, removeOneByOne, type Iface } from './wg.js';

export async function measureRevocation(dir: string, target: Iface, sizes: Sizes['revoke'], latency: Sizes['latency']): Promise<Row[]> {
  const { peers, requests, connections, bulkItems } = sizes;
  const keys = Array.from({ length: peers + 1 }, () => randomKey()); // keys[user], user 1..peers
  const peerOf = (user: number) => ({ key: keys[user]!, allowedIps: allowedIpsOf(user) });
  const users = (first: number, n: number) => Array.from({ length: n }, (_, i) => first + i);

  const seedStarted = performance.now();
  await addPeersBulk(target, users(1, peers).map(peerOf));
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  const db = join(dir, 'revoke.db');
  seedRegistry({ path: db, firstUser: 1, devices: peers, keyOf: (u) => keys[u]!, addressOf });
  // Devices without a session, for the connect latency.
  seedRegistry({ path: db, firstUser: peers + 1, devices: latency.requests, keyOf: () => null, addressOf });

  const agent = await startServer({ kind: 'agent', env: agentEnv(db, { WGNODE_NETNS: target.ns, WGNODE_INTERFACE: target.iface }), noopRunner: false });
  const rows: Row[] = [];
  try {
    // Row 4: one request at a time on an idle node.
    const newKeys = Array.from({ length: latency.requests }, () => randomKey());
    const one = { url: agent.url, connections: 1, amount: latency.requests, token: TOKEN };
    const connect = await runLoad({ ...one, body: (i) => graphqlBody(CONNECT, { userId: peers + 1 + i, deviceId: 1, publicKey: newKeys[i] }) });
    const disconnect = await runLoad({ ...one, body: (i) => graphqlBody(DISCONNECT, { userId: peers + 1 + i, deviceId: 1 }) });
    const latencyNote = unexpectedNote({ ...connect.unexpected, ...disconnect.unexpected });
    rows.push({
      id: '4',
      scenario: `single requests on an idle real interface (${n0(peers)} peers), c=1`,
      result: `connect p50 ${ms(connect.p50Ms)}, p99 ${ms(connect.p99Ms)}; disconnect p50 ${ms(disconnect.p50Ms)}, p99 ${ms(disconnect.p99Ms)}`,
      ratio: `disconnect p99 ${ms(disconnect.p99Ms)}`,
      target: 'disconnect p99 ≤ 15 ms',
      met: disconnect.p99Ms <= 15 && !latencyNote,
      note: latencyNote || undefined,
    });

    // Row 3: mass revocation through the agent. A mutation answers only once its peer is gone,
    // so the last answer is the moment the last peer is gone.
    const revoke = await runLoad({ url: agent.url, connections, amount: requests, token: TOKEN, body: (i) => graphqlBody(DEACTIVATE, { userId: 1 + i, deviceId: 1 }) });
    const leftAfterAgent = await countPeers(target);
    // The naive way, same interface, same peers: put them back, then one process per removal.
    await addPeersBulk(target, users(1, requests).map(peerOf));
    const naiveSeconds = await removeOneByOne(target, users(1, requests).map((u) => keys[u]!));
    const leftAfterNaive = await countPeers(target);
    const speedup = naiveSeconds / revoke.seconds;
    const expectedLeft = peers - requests;
    const problems = [unexpectedNote(revoke.unexpected), leftAfterAgent !== expectedLeft || leftAfterNaive !== expectedLeft ? `peers left ${leftAfterAgent}/${leftAfterNaive}, expected ${expectedLeft}` : '']
      .filter(Boolean)
      .join('; ');
    rows.push({
      id: '3',
      scenario: `mass revocation: ${n0(requests)} deactivateDevice at c=${connections}, ${n0(peers)} peers on the interface`,
      result: `${n2(revoke.seconds)} s, ${n0(requests / revoke.seconds)} removals/s; naive (1 wg process per peer, ${n0(requests)} peers): ${n1(naiveSeconds)} s, ${n0(requests / naiveSeconds)} removals/s`,
      ratio: `${n1(speedup)} × naive`,
      target: '≥ 10 × naive, ≤ 3 s',
      met: speedup >= 10 && revoke.seconds <= 3 && !problems,
      note: [problems, `seeding ${n0(peers)} peers took ${n2(seedSeconds)} s`].filter(Boolean).join('; '),
    });

    // Row 3b: the same revocation as ONE bulk request.
    const items = users(requests + 1, bulkItems).map((userId) => ({ userId, deviceId: 1 }));
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
    rows.push({
      id: '3b',
      scenario: `bulk: one deactivateDevices request with ${n0(bulkItems)} items`,
      result: `${n2(bulkSeconds)} s, ${n0(bulkItems / bulkSeconds)} removals/s`,
      met: null,
      note: res.status !== 200 || okItems !== bulkItems || left !== expectedLeft - bulkItems ? `HTTP ${res.status}, ${okItems} ok, ${left} peers left` : undefined,
    });
  } finally {
    await agent.stop();
  }
  return rows;
}

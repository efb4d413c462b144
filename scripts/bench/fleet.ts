// Rows 8-9, the control plane's side (issue 13), through the typed client (src/client):
// 8: fan-out of one deactivateDevice to N node processes, each with its own registry and its own
//    real interface (wireguard-go in a namespace of its own) when this machine allows, else the
//    no-op command runner (the row says which); timed from the call to the last node's answer.
// 9: the change feed's end-to-end latency on one node: the mutation's HTTP answer → the change
//    row's arrival at a follower, over the SSE stream (GET /changes/stream) and through the
//    client's follow() with its polling source at a 100 ms interval.
import { join } from 'node:path';
import { createFleetClient, type FleetClient } from '../../src/client/index.js';
import { createTestbed, type Testbed } from '../../src/testbed/index.js';
import { agentEnv, TOKEN } from './agent-env.js';
import type { Sizes } from './options.js';
import { percentile } from './load.js';
import { randomKey } from './seed.js';
import { startServer, type BenchServer } from './server-process.js';
import { ms, n0, type Row } from '../../src/testbed/bench-table.js';

const POLL_INTERVAL_MS = 100;

const summary = (samples: number[]) => ({ p50: percentile(samples, 50), p99: percentile(samples, 99) });

/** Activates and connects (userId, device 1) on every node; throws when a node refuses. */
async function seed(fleet: FleetClient, userId: number): Promise<void> {
  const key = randomKey();
  for (const r of await fleet.activateDevice({ userId, deviceId: 1 })) if (!r.ok) throw new Error(`${r.node}: activateDevice ${r.code}`);
  for (const r of await fleet.each((c) => c.connectDevice({ userId, deviceId: 1, publicKey: key }))) if (!r.ok) throw new Error(`${r.node}: connectDevice ${r.code}`);
}

export async function measureFleet(dir: string, sizes: Sizes['fleet'], realProblem: string | null): Promise<Row[]> {
  const beds: Testbed[] = [];
  const servers: BenchServer[] = [];
  let fleet: FleetClient | undefined;
  try {
    for (let i = 0; i < sizes.nodes; i++) {
      let extra: Record<string, string> = {};
      if (realProblem === null) {
        const bed = await createTestbed({ prefix: `wgf${i}`, poolCidrAddress: '10.64.0.1/14' });
        beds.push(bed);
        extra = { WGNODE_NETNS: bed.nodeNs, WGNODE_INTERFACE: bed.node.iface };
      }
      servers.push(await startServer({ kind: 'agent', env: agentEnv(join(dir, `fleet-${i}.db`), extra), noopRunner: realProblem !== null }));
    }
    fleet = createFleetClient({
      nodes: servers.map((s, i) => ({ name: `node-${i}`, url: s.url })),
      concurrency: sizes.nodes,
      defaults: { token: TOKEN, timeoutMs: 30_000 },
    });
    const interfaces = realProblem === null ? 'real wireguard-go interface each' : `no-op command runner (${realProblem})`;

    // Row 8: one logical deactivation, answered by every node.
    const fanOut: number[] = [];
    for (let rep = 1; rep <= sizes.fanOutRepeats; rep++) {
      await seed(fleet, rep);
      const started = performance.now();
      const results = await fleet.deactivateDevice({ userId: rep, deviceId: 1 });
      fanOut.push(performance.now() - started);
      const failed = results.find((r) => !r.ok || r.data !== true);
      if (failed) throw new Error(`${failed.node}: deactivateDevice answered ${JSON.stringify(failed)}`);
    }
    const f = summary(fanOut);
    const rows: Row[] = [
      {
        id: '8',
        scenario: `fan-out of one deactivateDevice to ${sizes.nodes} node processes (${interfaces}), typed fleet client, ${n0(sizes.fanOutRepeats)} repeats`,
        result: `all answered: p50 ${ms(f.p50)}, p99 ${ms(f.p99)}`,
        ratio: `p99 ${ms(f.p99)} for ${sizes.nodes} nodes`,
      },
    ];

    // Row 9: mutation answered → change received, on node 0, by an SSE reader and by follow().
    const node = fleet.nodes.get('node-0')!;
    const snapshot = await node.snapshot({ first: 1 });
    if (!snapshot.ok) throw new Error(`node-0: snapshot answered ${snapshot.code}`);
    const from = snapshot.data.cursor;
    const sse = await openStream(servers[0]!.url, from);
    const follower = fleet.follow({ nodes: ['node-0'], from: { 'node-0': from }, intervalMs: POLL_INTERVAL_MS });
    const viaSse: number[] = [];
    const viaPoll: number[] = [];
    try {
      for (let rep = 1; rep <= sizes.feedRepeats; rep++) {
        const userId = 1_000_000 + rep;
        const answered = node.activateDevice({ userId, deviceId: 1 });
        const isMine = (c: { kind: string; userId?: number | null }) => c.kind === 'DEVICE_ACTIVATED' && c.userId === userId;
        const sseArrival = sse.next(isMine);
        const pollArrival = (async () => {
          for (;;) {
            const e = await follower.next();
            if (e.done) throw new Error('the follower ended');
            if (e.value.type === 'change' && isMine(e.value.change)) return performance.now();
          }
        })();
        const result = await answered;
        const at = performance.now();
        if (!result.ok) throw new Error(`activateDevice answered ${result.code}`);
        viaSse.push(Math.max(0, (await sseArrival) - at));
        viaPoll.push(Math.max(0, (await pollArrival) - at));
      }
    } finally {
      sse.close();
      await follower.stop();
    }
    const s = summary(viaSse);
    const p = summary(viaPoll);
    rows.push({
      id: '9',
      scenario: `change feed latency, mutation answered → change received (1 node, ${n0(sizes.feedRepeats)} mutations)`,
      result: `SSE stream p50 ${ms(s.p50)}, p99 ${ms(s.p99)}; follow() polling every ${POLL_INTERVAL_MS} ms p50 ${ms(p.p50)}, p99 ${ms(p.p99)}`,
      ratio: `SSE p99 ${ms(s.p99)}`,
      target: 'SSE p99 ≤ 1000 ms',
      met: s.p99 <= 1000,
    });
    return rows;
  } finally {
    fleet?.close();
    await Promise.all(servers.map((s) => s.stop()));
    for (const bed of beds) await bed.teardown();
  }
}

interface StreamReader {
  /** Resolves with performance.now() when a change that `match` accepts arrives (changes before it are skipped). */
  next(match: (change: { kind: string; userId?: number | null }) => boolean): Promise<number>;
  close(): void;
}

/** A minimal SSE reader of GET /changes/stream (one `change` event per row, data: the change as JSON). */
async function openStream(url: string, after: string): Promise<StreamReader> {
  const abort = new AbortController();
  const res = await fetch(`${url}/changes/stream?after=${encodeURIComponent(after)}`, { headers: { authorization: `Bearer ${TOKEN}` }, signal: abort.signal });
  if (res.status !== 200 || !res.body) throw new Error(`GET /changes/stream answered ${res.status}`);
  const waiting: Array<{ match: (c: { kind: string; userId?: number | null }) => boolean; resolve: (at: number) => void }> = [];
  const decoder = new TextDecoder();
  let buffer = '';
  void (async () => {
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        const at = performance.now();
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = event.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('\n');
          if (!/^event: ?change$/m.test(event) || !data) continue;
          const change = JSON.parse(data) as { kind: string; userId?: number | null };
          const i = waiting.findIndex((w) => w.match(change));
          if (i >= 0) waiting.splice(i, 1)[0]!.resolve(at);
        }
      }
    } catch {
      // closed
    }
  })();
  return {
    next: (match) => new Promise((resolve) => waiting.push({ match, resolve })),
    close: () => abort.abort(),
  };
}

// Row 6: one reconcile pass over a full interface (65,000 peers: wireguard-go holds at most
// 65,536), with drift both ways and every row's counters changed, run inside the agent's process
// while that process samples its own event-loop delay. Also the agent process's peak RSS, and
// beside it a bare `wg show IFACE dump` of the same interface: the part of the pass that is
// wireguard-go's and wg's, which no agent can go below.
import { join } from 'node:path';
import type { ReconcileReport } from '../../src/reconcile/report.js';
import { addressOf, agentEnv, allowedIpsOf } from './agent-env.js';
import type { Sizes } from './options.js';
import { randomKey, seedRegistry } from './seed.js';
import { startServer } from './server-process.js';
import { metWithout, ms, n0, type Row } from '../../src/testbed/bench-table.js';
import { TARGETS } from '../../src/testbed/bench-targets.js';
import { addPeersBulk, ifaceEnv, wg, type Iface } from './wg.js';

interface PassResult {
  wallMs: number;
  /** The agent's CPU time during the pass (its threads; not wireguard-go's or wg's). */
  cpuMs: number;
  report: ReconcileReport;
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  peakRssMb: number;
}

export async function measureReconcile(dir: string, target: Iface, sizes: Sizes['reconcile']): Promise<Row[]> {
  const { peers, drift } = sizes;
  const keys = Array.from({ length: peers + 1 }, () => randomKey());
  // Registry: users 1..peers. Interface: all but the last `drift` of them, plus `drift` strangers.
  const onInterface = Array.from({ length: peers - drift }, (_, i) => ({ key: keys[i + 1]!, allowedIps: allowedIpsOf(i + 1) }));
  const strangers = Array.from({ length: drift }, (_, i) => ({ key: randomKey(), allowedIps: allowedIpsOf(peers + 1 + i) }));
  await addPeersBulk(target, [...onInterface, ...strangers]);
  const db = join(dir, 'reconcile.db');
  // rx counters 1 in the registry, 0 on the interface: the pass rewrites every present row.
  // A registry that already manages the interface, as on a node that ran before: a first start would
  // hold the unknown peers for the operator instead of removing them (docs/operations.md); and a
  // mass-removal limit that lets this pass remove its `drift` strangers (the default holds more than 50).
  const publicKey = (await wg(target, ['show', target.iface, 'public-key'])).stdout.trim();
  seedRegistry({ path: db, firstUser: 1, devices: peers, keyOf: (u) => keys[u]!, addressOf, rxBytes: 1, owner: { name: target.iface, publicKey } });

  // The bare dump, as the agent's runner reads it (execa, stdout collected), before the agent starts.
  const dumpStarted = performance.now();
  await wg(target, ['show', target.iface, 'dump']);
  const bareDumpMs = performance.now() - dumpStarted;

  const agent = await startServer({ kind: 'agent', env: agentEnv(db, { ...ifaceEnv(target), WGNODE_MAX_UNKNOWN_REMOVALS: String(drift) }), noopRunner: false });
  let pass: PassResult;
  try {
    pass = await agent.call<PassResult>('reconcile');
  } finally {
    await agent.stop();
  }
  const r = pass.report;
  const expected = r.ok && r.restoredPeers === drift && r.removedUnknownPeers === drift && r.handshakesRecorded === peers;
  const problems = expected ? [] : [`unexpected report: ${JSON.stringify(r)}`];
  return [
    {
      id: '6',
      // Every row changes: the present ones' counters (1 → 0), the missing ones' (seen, then gone).
      scenario: `reconcile: one pass over ${n0(peers)} peers (${drift} missing, ${drift} unknown, ${n0(peers)} rows updated)`,
      result: `${ms(pass.wallMs)} (agent CPU ${ms(pass.cpuMs)}); event-loop delay p99 ${ms(pass.loopDelayP99Ms)}, max ${ms(pass.loopDelayMaxMs)}; peak RSS ${n0(pass.peakRssMb)} MB; bare wg show dump ${ms(bareDumpMs)}`,
      ratio: `${ms(pass.wallMs)}, p99 ${ms(pass.loopDelayP99Ms)}, ${n0(pass.peakRssMb)} MB`,
      target: `≤ ${TARGETS.passSeconds} s, p99 ≤ ${TARGETS.passLoopP99Ms} ms, ≤ ${TARGETS.passRssMb} MB`,
      met: metWithout(problems, pass.wallMs <= TARGETS.passSeconds * 1000 && pass.loopDelayP99Ms <= TARGETS.passLoopP99Ms && pass.peakRssMb <= TARGETS.passRssMb),
      problems,
      figures: { bareDumpSeconds: bareDumpMs / 1000 },
    },
  ];
}

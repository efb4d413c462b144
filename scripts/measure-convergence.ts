// Measures how fast the registry and a real interface converge (root; wireguard-go in a
// throwaway namespace; a real wgnode process):
//   - fault cleared → revoked peer gone: `wg` fails while a device is deactivated (503
//     REMOVAL_PENDING), then works again; time until the peer is off the interface;
//   - interface recreated empty → every ACTIVE peer back.
// Usage: npm run measure:convergence -- [trials=10] [intervalMs=500] [sessions=50]
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestbed, privilegeProblem, startWgnode, waitFor } from '../src/testbed/index.js';

const [trials = 10, intervalMs = 500, sessions = 50] = process.argv.slice(2).map(Number);
const problem = privilegeProblem();
if (problem) {
  console.error(`measure-convergence needs root and wireguard-go: ${problem}`);
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), 'wgnode-measure-'));
const flag = join(dir, 'wg-fails');
const wrapper = join(dir, 'wg-wrapper');
writeFileSync(wrapper, `#!/bin/sh\nif [ -e '${flag}' ]; then echo 'wg: simulated outage' >&2; exit 1; fi\nexec wg "$@"\n`, { mode: 0o755 });
const tb = await createTestbed({ prefix: 'msr' });
const server = await startWgnode({
  WGNODE_DB: join(dir, 'wgnode.db'),
  WGNODE_INTERFACE: tb.node.iface,
  WGNODE_NETNS: tb.nodeNs,
  WGNODE_WG_BIN: wrapper,
  WGNODE_RECONCILE_INTERVAL_MS: String(intervalMs),
  WGNODE_MAX_DEVICES_PER_USER: '1000000',
});
const randomKey = () => randomBytes(32).toString('base64');
let device = 0;
async function connect(): Promise<{ deviceId: number; key: string }> {
  const deviceId = ++device;
  const key = randomKey();
  await server.gql(`mutation { activateDevice(userId: 1, deviceId: ${deviceId}) { status } }`);
  const res = await server.gql(`mutation ($k: String!) { connectDevice(userId: 1, deviceId: ${deviceId}, publicKey: $k) { id } }`, { k: key });
  if (res.status !== 200) throw new Error(`connect failed: ${JSON.stringify(res.body)}`);
  return { deviceId, key };
}
const stats = (ms: number[]) => {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return `min ${s[0]} / median ${at(0.5)} / p90 ${at(0.9)} / max ${s[s.length - 1]} ms`;
};

try {
  const cleared: number[] = [];
  for (let i = 0; i < trials; i++) {
    const { deviceId, key } = await connect();
    writeFileSync(flag, '');
    const res = await server.gql(`mutation { deactivateDevice(userId: 1, deviceId: ${deviceId}) }`);
    if (res.status !== 503) throw new Error(`expected 503 REMOVAL_PENDING, got ${res.status} ${JSON.stringify(res.body)}`);
    await new Promise((r) => setTimeout(r, Math.random() * intervalMs)); // clear at a random phase of the interval
    unlinkSync(flag);
    cleared.push(await waitFor(async () => !(await tb.node.peers()).includes(key), 10 * intervalMs + 5000, 'peer not removed', 5));
  }
  for (let i = 0; i < sessions; i++) await connect();
  const listed = (await server.gql(`{ sessions(status: ACTIVE, first: 500) { nodes { publicKey } } }`)).body as {
    data: { sessions: { nodes: { publicKey: string }[] } };
  };
  const active = listed.data.sessions.nodes.map((n) => n.publicKey);
  const restored: number[] = [];
  const upTimes: number[] = [];
  for (let i = 0; i < trials; i++) {
    await tb.node.destroy();
    await new Promise((r) => setTimeout(r, Math.random() * intervalMs)); // recreate at a random phase
    // From the start of the recreation: the reconciler may restore before recreate() returns.
    const started = performance.now();
    await tb.node.recreate();
    upTimes.push(Math.round(performance.now() - started));
    const ms = await waitFor(async () => {
      const now = new Set(await tb.node.peers());
      return active.every((k) => now.has(k));
    }, 10 * intervalMs + 5000, 'peers not restored', 5);
    restored.push(upTimes.at(-1)! + ms);
  }
  console.log(`reconcile interval ${intervalMs} ms, ${trials} trials each (poll every ~5 ms with wg show):`);
  console.log(`  wg fault cleared → revoked peer gone:                 ${stats(cleared)}`);
  console.log(`  interface recreated empty → ${active.length} ACTIVE peers restored: ${stats(restored)}`);
  console.log(`    (counted from the start of the recreation; wireguard-go itself took ${stats(upTimes)} to come up)`);
} finally {
  if (existsSync(flag)) unlinkSync(flag);
  await server.stop();
  await tb.teardown();
  rmSync(dir, { recursive: true, force: true });
}

// Never wipe a live node by accident, on real WireGuard: wgnode started with a fresh registry
// against an interface that already serves a client leaves every peer (and the tunnel) alone
// until the operator runs `wgnode peers adopt` or `wgnode peers purge --yes`; a wrong WGNODE_DB
// later does the same; and on an owned interface a pass that would remove more unknown peers than
// WGNODE_MAX_UNKNOWN_REMOVALS removes none of them, while an ENDING session's peer still goes.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestbed, E2E_ADMIN_TOKEN, generateKeyPair, startWgnode, type Client, type Testbed, waitFor, type WgnodeProcess } from '../../src/testbed/index.js';
import { describeE2E } from '../support/e2e.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const INTERVAL_MS = 300;
const CONVERGE_MS = INTERVAL_MS + 2500;

const ACTIVATE = `mutation ($u: Int!, $d: Int!) { activateDevice(userId: $u, deviceId: $d) { status } }`;
const CONNECT = `mutation ($u: Int!, $d: Int!, $k: String!) { connectDevice(userId: $u, deviceId: $d, publicKey: $k) { id } }`;
const DEACTIVATE = `mutation ($u: Int!, $d: Int!) { deactivateDevice(userId: $u, deviceId: $d) }`;
const REPORT = `{ reconcileReport { at ok interfaceOwned unmanagedPeers massRemovalHeld removedUnknownPeers finishedIntents } }`;

const randomKey = () => randomBytes(32).toString('base64');

describeE2E('first start on a live node, and the mass-removal guard (wireguard-go)', () => {
  let tb: Testbed;
  let dir: string;
  let server: WgnodeProcess | null = null;
  let env: Record<string, string>;
  let flag: string;
  let client: Client;
  const clientKeys = generateKeyPair();
  const strangers = [randomKey(), randomKey()];

  const peers = async () => (await tb.node.peers()).sort();
  const addByHand = (entries: Array<[key: string, ip: string]>) =>
    execa('ip', ['netns', 'exec', tb.nodeNs, 'wg', 'set', tb.node.iface, ...entries.flatMap(([k, ip]) => ['peer', k, 'allowed-ips', `${ip}/32`])]);
  /** `wgnode ARGS` as a separate process over the server's socket, as an operator runs it. */
  const wgnode = (args: string[]) => execa(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, env, extendEnv: false, reject: false });
  const report = async () => (await server!.gql(REPORT)).body.data.reconcileReport;
  /** Resolves with the report of a pass that started after this call. */
  async function nextPass() {
    const after = Date.now();
    let last: any = null;
    await waitFor(async () => {
      last = await report();
      return last !== null && Date.parse(last.at) > after && last.ok;
    }, CONVERGE_MS * 2, 'no reconcile pass completed');
    return last;
  }
  async function start(db: string, extra: Record<string, string> = {}) {
    env = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', WGNODE_DB: join(dir, db), WGNODE_SOCKET: join(dir, `${db}.sock`), WGNODE_INTERFACE: tb.node.iface, WGNODE_NETNS: tb.nodeNs };
    server = await startWgnode({ ...env, WGNODE_WG_BIN: join(dir, 'wg-wrapper'), WGNODE_RECONCILE_INTERVAL_MS: String(INTERVAL_MS), ...extra });
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wgnode-first-start-'));
    flag = join(dir, 'wg-fails');
    writeFileSync(join(dir, 'wg-wrapper'), `#!/bin/sh\nif [ -e '${flag}' ]; then echo 'wg: simulated outage' >&2; exit 1; fi\nexec wg "$@"\n`, { mode: 0o755 });
    tb = await createTestbed({ prefix: 'fst' });
    // A node that already serves a client (configured by hand, before wgnode), and two more peers.
    await addByHand([[clientKeys.publicKey, '10.64.200.1'], [strangers[0]!, '10.64.200.2'], [strangers[1]!, '10.64.200.3']]);
    client = await tb.addClient({ keyPair: clientKeys, address: '10.64.200.1' });
    await waitFor(() => client.ping(1), 10_000, 'the hand-made client never reached the node');
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    await tb?.teardown();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('1. a fresh registry removes no peer it does not know, the tunnel keeps working, and /readyz and status say why', async () => {
    const before = await peers();
    await start('first.db');
    const seen = await nextPass();
    expect(seen).toMatchObject({ interfaceOwned: false, unmanagedPeers: 3, removedUnknownPeers: 0 });
    await nextPass();
    expect(await peers()).toEqual(before);
    expect(await client.ping(1)).toBe(true);

    const ready = await server!.get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.checks.reconcile.detail).toBe('interface carries 3 peers this registry does not know; adopt or remove them: wgnode peers adopt | wgnode peers purge --yes');
    const status = await wgnode(['status']);
    expect(status.stdout).toMatch(/^unmanaged\s+3 peers this registry does not know/m);
  });

  it('2. wgnode peers adopt keeps them; from then on an intruder is removed, the kept peers and the tunnel stay', async () => {
    const run = await wgnode(['peers', 'adopt']);
    expect([run.exitCode, run.stdout], run.stderr).toEqual([0, 'adopted 3 peers (kept on the interface); this registry now manages it']);
    await waitFor(async () => (await server!.get('/readyz')).status === 200, CONVERGE_MS, '/readyz stayed not ready after adopt');

    const intruder = randomKey();
    await addByHand([[intruder, '10.64.201.1']]);
    await waitFor(async () => !(await peers()).includes(intruder), CONVERGE_MS, 'the intruder stayed');
    expect(await peers()).toEqual([clientKeys.publicKey, ...strangers].sort());
    expect(await client.ping(1)).toBe(true);
    const audit = await server!.gql(`{ auditLog(action: "adopt-peer", first: 10) { nodes { actor } } }`);
    expect(audit.body.data.auditLog.nodes).toEqual([{ actor: 'local' }, { actor: 'local' }, { actor: 'local' }]);
  });

  it('3. a wrong WGNODE_DB disconnects no one; wgnode peers purge --yes then removes the peers it does not know', async () => {
    await server!.stop();
    await start('wrong.db', { WGNODE_MAX_UNKNOWN_REMOVALS: '5' });
    expect(await nextPass()).toMatchObject({ interfaceOwned: false, unmanagedPeers: 3, removedUnknownPeers: 0 });
    expect(await client.ping(1)).toBe(true);

    const refused = await wgnode(['peers', 'purge']);
    expect(refused.exitCode).toBe(2);
    expect((await peers()).length).toBe(3);
    const purged = await wgnode(['peers', 'purge', '--yes']);
    expect([purged.exitCode, purged.stdout], purged.stderr).toEqual([0, 'removed 3 unknown peers; this registry now manages the interface']);
    expect(await peers()).toEqual([]);
    expect(await client.ping(1)).toBe(false);
    expect((await server!.get('/readyz')).status).toBe(200);
  });

  it('4. the mass-removal guard: too many unknown peers stay, alerted; an ENDING session\'s peer goes in the same pass', async () => {
    const [ending, active] = [randomKey(), randomKey()];
    for (const [u, key] of [[1, ending], [2, active]] as const) {
      expect((await server!.gql(ACTIVATE, { u, d: 1 })).status).toBe(200);
      expect((await server!.gql(CONNECT, { u, d: 1, k: key })).status).toBe(200);
    }
    const many = Array.from({ length: 6 }, (_, i) => [randomKey(), `10.64.202.${i + 1}`] as [string, string]);
    writeFileSync(flag, ''); // wg fails: the deactivation stays ENDING, and no pass runs meanwhile
    try {
      expect((await server!.gql(DEACTIVATE, { u: 1, d: 1 })).body.errors[0].extensions.code).toBe('REMOVAL_PENDING');
      await addByHand(many);
    } finally {
      unlinkSync(flag);
    }
    const held = await nextPass();
    expect(held).toMatchObject({ interfaceOwned: true, massRemovalHeld: 6, removedUnknownPeers: 0 });
    const afterHeld = await peers();
    expect(afterHeld).not.toContain(ending);
    expect(afterHeld).toEqual([active, ...many.map(([k]) => k)].sort());
    const ready = await server!.get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.checks.reconcile.detail).toContain('would remove 6 unknown peers');
    const metrics = await fetch(`${server!.url}/metrics`, { headers: { authorization: `Bearer ${E2E_ADMIN_TOKEN}` } }).then((r) => r.text());
    expect(metrics).toMatch(/^wgnode_mass_removal_held_peers 6$/m);
    expect(server!.output()).toMatch(/would remove 6 unknown peers at once/);

    // Still held pass after pass; one fewer (at the limit) and the rest go without the operator.
    await nextPass();
    expect((await peers()).length).toBe(7);
    await execa('ip', ['netns', 'exec', tb.nodeNs, 'wg', 'set', tb.node.iface, 'peer', many[0]![0], 'remove']);
    await waitFor(async () => (await peers()).length === 1, CONVERGE_MS, 'the unknown peers under the limit stayed');
    expect(await peers()).toEqual([active]);
    await waitFor(async () => (await server!.get('/readyz')).status === 200, CONVERGE_MS, '/readyz stayed not ready');
  });
});

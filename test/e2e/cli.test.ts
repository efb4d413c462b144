// The wgnode CLI as an operator runs it: a separate process talking to a real wgnode server over
// its unix socket, the server driving a real wireguard-go interface with a real client tunnel.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestbed, generateKeyPair, startWgnode, type Testbed, waitFor, type WgnodeProcess } from '../../src/testbed/index.js';
import { describeE2E } from '../support/e2e.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const ACTIVATE = `mutation ($u: Int!, $d: Int!) { activateDevice(userId: $u, deviceId: $d) { status } }`;
const CONNECT = `mutation ($u: Int!, $d: Int!, $k: String!) { connectDevice(userId: $u, deviceId: $d, publicKey: $k) { id address } }`;

describeE2E('wgnode CLI e2e (wireguard-go)', () => {
  let tb: Testbed;
  let server: WgnodeProcess;
  let dir: string;
  let env: Record<string, string>;

  /** `wgnode ARGS` as a separate process, as an operator would run it. */
  const wgnode = (args: string[]) =>
    execa(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, env, extendEnv: false, reject: false });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wgnode-cli-e2e-'));
    tb = await createTestbed({ prefix: 'cli' });
    env = {
      PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      WGNODE_DB: join(dir, 'wgnode.db'),
      WGNODE_SOCKET: join(dir, 'wgnode.sock'),
      WGNODE_INTERFACE: tb.node.iface,
      WGNODE_NETNS: tb.nodeNs,
    };
    server = await startWgnode({ ...env, WGNODE_RECONCILE_INTERVAL_MS: '500' });
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    await tb?.teardown();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('wgnode disconnect removes the peer from the interface and the tunnel stops', async () => {
    const keyPair = generateKeyPair();
    expect((await server.gql(ACTIVATE, { u: 42, d: 1 })).status).toBe(200);
    const connected = await server.gql(CONNECT, { u: 42, d: 1, k: keyPair.publicKey });
    expect(connected.status, JSON.stringify(connected.body)).toBe(200);
    const client = await tb.addClient({ keyPair, address: connected.body.data.connectDevice.address });
    await waitFor(() => client.ping(1), 10_000, 'the client never reached the node');

    const status = await wgnode(['status', '--json']);
    expect(status.exitCode, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ node: { interface: tb.node.iface, publicKey: tb.node.publicKey }, sessions: { active: 1 } });

    const run = await wgnode(['disconnect', '--user', '42', '--device', '1', '--reason', 'e2e']);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toBe('disconnected user 42 device 1: its peers are off the interface');
    expect(await tb.node.peers()).not.toContain(keyPair.publicKey);
    expect(await client.ping(1)).toBe(false);

    const audit = await wgnode(['audit', '--user', '42', '--action', 'disconnect', '--json']);
    expect(JSON.parse(audit.stdout).nodes[0]).toMatchObject({ actor: 'local', outcome: 'ok', reason: 'e2e' });
    await client.remove();
  });

  it('wgnode doctor passes against the real interface in its namespace, and fails when the interface is gone', async () => {
    const healthy = await wgnode(['doctor']);
    expect(healthy.stdout).toMatch(new RegExp(`^✓ interface +${tb.node.iface} in namespace ${tb.nodeNs}: port \\d+`, 'm'));
    expect(healthy.exitCode, healthy.stdout).toBe(0);

    const missing = await execa(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'doctor'], {
      cwd: ROOT,
      env: { ...env, WGNODE_INTERFACE: 'wgnode-absent' },
      extendEnv: false,
      reject: false,
    });
    expect(missing.exitCode).toBe(1);
    expect(missing.stdout).toMatch(/^✗ interface +wgnode-absent does not exist in namespace/m);
  });
});

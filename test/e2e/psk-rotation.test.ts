// Preshared keys and key rotation on a real WireGuard interface with a real client: a PSK tunnel
// handshakes only with the right key and comes back with it after an interface restart; rotation
// swaps the device's key in one call, the new key carries traffic and the old one cannot handshake.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/logger.js';
import { startServer, type RunningAgent } from '../../src/server.js';
import { createTestbed, generateKeyPair, type Testbed, waitFor } from '../../src/testbed/index.js';
import { describeE2E } from '../support/e2e.js';

const TOKEN = 'e2e-psk-token-0123456789';
const CONNECT = `mutation ($u: Int!, $d: Int!, $k: String!, $psk: String) {
  connectDevice(userId: $u, deviceId: $d, publicKey: $k, presharedKey: $psk) { id address hasPresharedKey }
}`;

describeE2E('preshared keys and key rotation on a real WireGuard interface', () => {
  let testbed: Testbed;
  let running: RunningAgent;
  let dir: string;

  const gql = async (query: string, variables?: Record<string, unknown>) => {
    const res = await fetch(`http://127.0.0.1:${running.port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ query, variables }),
    });
    return JSON.parse(await res.text()) as { data: Record<string, any> | null; errors?: unknown[] };
  };
  const connect = async (u: number, d: number, k: string, psk?: string) => {
    await gql(`mutation ($u: Int!, $d: Int!) { activateDevice(userId: $u, deviceId: $d) { status } }`, { u, d });
    return (await gql(CONNECT, { u, d, k, psk })).data!.connectDevice as { id: string; address: string; hasPresharedKey: boolean };
  };
  /** The node's preshared key for a peer, as wg shows it ("(none)" when it has none). */
  const nodePsk = async (publicKey: string) => {
    const out = (await execa('ip', ['netns', 'exec', testbed.nodeNs, 'wg', 'show', testbed.node.iface, 'preshared-keys'])).stdout;
    return out.split('\n').find((line) => line.startsWith(publicKey))?.split('\t')[1];
  };

  beforeAll(async () => {
    testbed = await createTestbed({ prefix: 'psk' });
    dir = mkdtempSync(join(tmpdir(), 'wgnode-e2e-'));
    const config = loadConfig({
      WGNODE_PORT: '0',
      WGNODE_DB: join(dir, 'wgnode.db'),
      WGNODE_NETNS: testbed.nodeNs,
      WGNODE_INTERFACE: testbed.node.iface,
      WGNODE_ADMIN_TOKEN: TOKEN,
    });
    running = await startServer(config, { log: silentLogger });
  });
  afterAll(async () => {
    await running?.agent.stop();
    await testbed?.teardown();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a PSK tunnel handshakes, and comes back with its PSK after an interface restart', async () => {
    const phone = generateKeyPair();
    const psk = randomBytes(32).toString('base64');
    const session = await connect(1, 1, phone.publicKey, psk);
    expect(session.hasPresharedKey).toBe(true);
    expect(await nodePsk(phone.publicKey)).toBe(psk);
    const client = await testbed.addClient({ keyPair: phone, address: session.address, presharedKey: psk });
    expect(await client.ping(3)).toBe(true);

    await testbed.node.recreate(); // empty of peers
    const report = await running.agent.reconciler.runOnce();
    expect(report).toMatchObject({ ok: true, restoredPeers: 1 });
    expect(await nodePsk(phone.publicKey)).toBe(psk);
    // The client still holds its old session keys: it handshakes anew once they get no answer (~15 s).
    await waitFor(() => client.ping(1), 30_000, 'the PSK tunnel did not come back after the interface restart');
    await client.remove();
  }, 60_000);

  it('a client with the wrong PSK cannot handshake', async () => {
    const laptop = generateKeyPair();
    const session = await connect(2, 1, laptop.publicKey, randomBytes(32).toString('base64'));
    const client = await testbed.addClient({ keyPair: laptop, address: session.address, presharedKey: randomBytes(32).toString('base64') });
    expect(await client.ping(3)).toBe(false);
    expect(await client.latestHandshake()).toBe(0);
    await client.remove();
  });

  it('rotation: the new key carries traffic, the old key is gone and cannot handshake', async () => {
    const oldKey = generateKeyPair();
    const first = await connect(3, 1, oldKey.publicKey);
    const oldClient = await testbed.addClient({ keyPair: oldKey, address: first.address });
    expect(await oldClient.ping(3)).toBe(true);

    const newKey = generateKeyPair();
    const second = await connect(3, 1, newKey.publicKey);
    const peers = await testbed.node.peers();
    expect(peers).toContain(newKey.publicKey);
    expect(peers).not.toContain(oldKey.publicKey);
    const replaced = await gql(`query ($id: ID!) { session(id: $id) { status endReason } }`, { id: first.id });
    expect(replaced.data!.session).toEqual({ status: 'ENDED', endReason: 'replaced' });

    const newClient = await testbed.addClient({ keyPair: newKey, address: second.address });
    expect(await newClient.ping(3)).toBe(true);
    const handshakeBefore = await oldClient.latestHandshake();
    expect(await oldClient.ping(6)).toBe(false);
    // The old key's handshake attempts get no answer: its latest handshake does not move.
    expect(await oldClient.latestHandshake()).toBe(handshakeBefore);
  });
});

// The agent against a real userspace WireGuard interface: connect puts the peer on it,
// disconnect takes it off, and the tunnel really stops carrying traffic.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startServer, type RunningAgent } from '../../src/server.js';
import { silentLogger } from '../../src/logger.js';
import { createTestbed, DISCONNECT, generateKeyPair, type Testbed } from '../../src/testbed/index.js';
import { describeE2E } from '../support/e2e.js';

const TOKEN = 'e2e-agent-token-0123456789';

describeE2E('agent on a real WireGuard interface', () => {
  let testbed: Testbed;
  let running: RunningAgent;
  let dir: string;

  const gql = async (query: string, variables?: Record<string, unknown>) => {
    const res = await fetch(`http://127.0.0.1:${running.port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ query, variables }),
    });
    return { status: res.status, text: await res.text() };
  };
  const wgShow = async () =>
    (await execa('ip', ['netns', 'exec', testbed.nodeNs, 'wg', 'show', testbed.node.iface, 'allowed-ips'])).stdout;

  beforeAll(async () => {
    testbed = await createTestbed({ prefix: 'agt' });
    dir = mkdtempSync(join(tmpdir(), 'wgnode-e2e-'));
    const config = loadConfig({
      WGNODE_PORT: '0',
      WGNODE_DB: join(dir, 'wgnode.db'),
      WGNODE_NETNS: testbed.nodeNs,
      WGNODE_INTERFACE: testbed.node.iface,
      WGNODE_ADMIN_TOKEN: TOKEN,
      // Several keys per device (no rotation): the deactivate test connects two.
      WGNODE_SESSIONS_PER_DEVICE: '0',
    });
    running = await startServer(config, { log: silentLogger });
  });
  afterAll(async () => {
    await running?.agent.stop();
    await testbed?.teardown();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('connect adds the peer with its /32; disconnect removes it and the tunnel stops', async () => {
    const phone = generateKeyPair();
    await gql(`mutation { activateDevice(userId: 12345, deviceId: 67890) { status } }`);
    const connected = await gql(`mutation ($k: String!) { connectDevice(userId: 12345, deviceId: 67890, publicKey: $k) { address } }`, {
      k: phone.publicKey,
    });
    const address = (JSON.parse(connected.text) as { data: { connectDevice: { address: string } } }).data.connectDevice.address;
    expect(await wgShow()).toBe(`${phone.publicKey}\t${address}/32`);
    const client = await testbed.addClient({ keyPair: phone, address });
    expect(await client.ping(3)).toBe(true);

    const res = await gql(DISCONNECT, { userId: 12345, deviceId: 67890 });

    expect([res.status, res.text]).toEqual([200, '{"data":{"disconnectByUserIdAndDeviceId":true}}']);
    expect(await wgShow()).toBe('');
    expect(await client.ping(2)).toBe(false);
  });

  it('deactivate removes every peer of the device from the interface', async () => {
    const keys = [generateKeyPair().publicKey, generateKeyPair().publicKey];
    await gql(`mutation { activateDevice(userId: 1, deviceId: 2) { status } }`);
    for (const k of keys) await gql(`mutation ($k: String!) { connectDevice(userId: 1, deviceId: 2, publicKey: $k) { id } }`, { k });
    expect((await testbed.node.peers()).sort()).toEqual([...keys].sort());

    const res = await gql(`mutation { deactivateDevice(userId: 1, deviceId: 2, reason: "lost") }`);

    expect(res.text).toBe('{"data":{"deactivateDevice":true}}');
    expect(await testbed.node.peers()).toEqual([]);
  });
});

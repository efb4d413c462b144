// Coalescing and bulk revocation against a real userspace WireGuard interface: concurrent
// mutations share `wg set` calls, every caller's answer is true only once its peers are really
// gone, and a bulk request removes exactly the peers of the devices it names.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { execa } from 'execa';
import { createAgent, type ComposedAgent } from '../../src/agent.js';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/logger.js';
import { createExecaRunner, type CommandRunner } from '../../src/wireguard/runner.js';
import { createTestbed, generateKeyPair, type Testbed } from '../../src/testbed/index.js';
import { describeE2E } from '../support/e2e.js';
import { sessionRows } from '../support/registry-rows.js';

const TOKEN = 'e2e-coalesce-token-0123456789';
const DEVICES = 40;

describeE2E('coalesced and bulk revocation on a real interface', () => {
  let testbed: Testbed;
  let agent: ComposedAgent;
  const setCalls: string[][] = [];
  const keys = Array.from({ length: DEVICES + 1 }, () => generateKeyPair().publicKey);

  const gql = async (query: string, variables?: Record<string, unknown>) => {
    const res = await agent.app.request('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ query, variables }),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const peersOnInterface = async () => {
    const { stdout } = await execa('ip', ['netns', 'exec', testbed.nodeNs, 'wg', 'show', testbed.node.iface, 'peers']);
    return new Set(stdout.split('\n').filter(Boolean));
  };

  beforeAll(async () => {
    testbed = await createTestbed({ prefix: 'coa' });
    const real = createExecaRunner({ timeoutMs: 10_000 });
    // Counts the calls that change the interface, to see the sharing.
    const runner: CommandRunner = {
      run(file, args, options) {
        if (args.includes('set')) setCalls.push([file, ...args]);
        return real.run(file, args, options);
      },
    };
    const config = loadConfig({
      WGNODE_DB: ':memory:',
      WGNODE_NETNS: testbed.nodeNs,
      WGNODE_INTERFACE: testbed.node.iface,
      WGNODE_ADMIN_TOKEN: TOKEN,
      WGNODE_SOCKET: 'off',
      WGNODE_RATE_LIMIT_PER_S: '0',
    });
    agent = createAgent(config, { log: silentLogger, runner });
    for (let user = 1; user <= DEVICES; user++) {
      const activated = await gql(`mutation ($u: Int!) { activateDevice(userId: $u, deviceId: 1) { status } }`, { u: user });
      expect(activated.status).toBe(200);
    }
  });
  afterAll(async () => {
    await agent?.stop();
    await testbed?.teardown();
  });

  it('concurrent connects and disconnects share wg set calls, and each answer is the truth', async () => {
    const half = DEVICES / 2;
    const connects = await Promise.all(
      Array.from({ length: half }, (_, i) =>
        gql(`mutation ($u: Int!, $k: String!) { connectDevice(userId: $u, deviceId: 1, publicKey: $k) { status } }`, { u: i + 1, k: keys[i + 1] }),
      ),
    );
    expect(connects.map((c) => c.status)).toEqual(Array(half).fill(200));
    expect(await peersOnInterface()).toEqual(new Set(keys.slice(1, half + 1)));

    setCalls.length = 0;
    const disconnects = await Promise.all(
      Array.from({ length: half }, (_, i) =>
        gql(`mutation ($u: Int!) { disconnectByUserIdAndDeviceId(userId: $u, deviceId: 1) }`, { u: i + 1 }),
      ),
    );
    expect(disconnects.map((d) => d.body)).toEqual(Array(half).fill({ data: { disconnectByUserIdAndDeviceId: true } }));
    expect(setCalls.length).toBeGreaterThan(0);
    expect(setCalls.length).toBeLessThan(half);
    expect(await peersOnInterface()).toEqual(new Set());
  });

  it('deactivateDevices removes exactly the named devices\' peers and answers per item', async () => {
    const first = DEVICES / 2 + 1;
    for (let user = first; user <= DEVICES; user++) {
      const connected = await gql(`mutation ($u: Int!, $k: String!) { connectDevice(userId: $u, deviceId: 1, publicKey: $k) { status } }`, {
        u: user,
        k: keys[user],
      });
      expect(connected.status).toBe(200);
    }
    setCalls.length = 0;
    const named = Array.from({ length: 10 }, (_, i) => ({ userId: first + i, deviceId: 1 }));
    const res = await gql(
      `mutation ($items: [DeviceRef!]!) { deactivateDevices(items: $items, reason: "incident") { userId ok code } }`,
      { items: [...named, { userId: 999, deviceId: 1 }] },
    );
    expect(res.status).toBe(200);
    expect(res.body.data.deactivateDevices).toEqual([
      ...named.map((n) => ({ userId: n.userId, ok: true, code: null })),
      { userId: 999, ok: false, code: 'USER_NOT_FOUND' },
    ]);
    expect(setCalls).toHaveLength(1);
    expect(await peersOnInterface()).toEqual(new Set(keys.slice(first + 10, DEVICES + 1)));
    const ended = sessionRows(agent.registry, { status: 'ENDED' }).filter((s) => s.userId >= first && s.userId <= first + 9).length;
    expect(ended).toBe(10);
  });
});

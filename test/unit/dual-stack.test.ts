// Dual-stack (WGNODE_ADDRESS_POOL6): IPv6 parsing and the prefix's rules, the second address in
// argv, API and registry, uniqueness, exhaustion, and the reconciler repairing a peer missing its /128.
import { beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { formatIpv4, formatIpv6, parseCidr6, parseIpv6 } from '../../src/net.js';
import { CONNECT, createHarness, DISCONNECT, seedDevice, type Harness } from '../support/harness.js';
import { testKey } from '../support/keys.js';

const POOL6 = 'fd00:64::/112';
const CONNECT6 = `mutation ($userId: Int!, $deviceId: Int!, $publicKey: String!) {
  connectDevice(userId: $userId, deviceId: $deviceId, publicKey: $publicKey) { id address address6 allowedIps } }`;

let h: Harness;
beforeEach(() => {
  h = createHarness({ env: { WGNODE_ADDRESS_POOL6: POOL6 } });
});

const wgSets = () => h.runner.calls.filter((argv) => argv[0] === 'wg' && argv[1] === 'set');

describe('IPv6 addresses and prefixes', () => {
  it('parses every spelling and prints the canonical one (as wg does)', () => {
    expect(formatIpv6(parseIpv6('FD00:0064:0:0:0:0:0:0002'))).toBe('fd00:64::2');
    expect(formatIpv6(parseIpv6('1:0:0:2:0:0:0:3'))).toBe('1:0:0:2::3');
    expect(formatIpv6(parseIpv6('::'))).toBe('::');
    for (const bad of ['10.64.0.1', 'fd00::1::2', '::ffff:10.0.0.1', 'fe80::1%eth0', 'fd00:12345::1']) {
      expect(() => parseIpv6(bad), bad).toThrow(/not an IPv6 address/);
    }
  });

  it('takes a prefix with zero host bits and room for hosts (at most /126)', () => {
    expect(parseCidr6('FD00:64:0::/112').text).toBe('fd00:64::/112');
    expect(() => parseCidr6('fd00::1/64')).toThrow(/host bits must be zero.*fd00::\/64/);
    expect(() => parseCidr6('fd00::/127')).toThrow(/at most 126/);
    expect(() => parseCidr6('fd00::')).toThrow(/not an IPv6 prefix/);
    expect(() => parseCidr6('10.64.0.0/16')).toThrow(/not an IPv6 address/);
  });

  it('config: off by default; the prefix must hold the IPv4 pool; the interface takes the address beside its own', () => {
    expect(loadConfig({})).toMatchObject({ pool6: null, interfaceAddress6: null });
    expect(loadConfig({ WGNODE_ADDRESS_POOL6: 'fd00:64::/64' })).toMatchObject({ pool6: { text: 'fd00:64::/64' }, interfaceAddress6: 'fd00:64::1' });
    expect(loadConfig({ WGNODE_ADDRESS_POOL6: POOL6, WGNODE_INTERFACE_ADDRESS: '10.64.1.1' }).interfaceAddress6).toBe('fd00:64::101');
    // A /16 of IPv4 needs 16 host bits of IPv6: a /113 is too small, a /120 fits a /24.
    expect(() => loadConfig({ WGNODE_ADDRESS_POOL6: 'fd00:64::/113' })).toThrow(ConfigError);
    expect(() => loadConfig({ WGNODE_ADDRESS_POOL6: 'fd00:64::/113' })).toThrow(/WGNODE_ADDRESS_POOL6.*must hold the IPv4 pool 10.64.0.0\/16: a \/112 or larger/);
    expect(loadConfig({ WGNODE_ADDRESS_POOL: '10.64.0.0/24', WGNODE_ADDRESS_POOL6: 'fd00:64::/120' }).pool6?.text).toBe('fd00:64::/120');
    expect(() => loadConfig({ WGNODE_ADDRESS_POOL6: '10.65.0.0/16' })).toThrow(/WGNODE_ADDRESS_POOL6/);
  });
});

describe('dual-stack sessions', () => {
  it('connect adds the peer with both addresses in one allowed-ips and returns address6', async () => {
    await seedDevice(h, 1, 1, []);
    const res = await h.gql(CONNECT6, { userId: 1, deviceId: 1, publicKey: testKey(1) });
    expect(res.body.data.connectDevice).toEqual({ id: '1', address: '10.64.0.2', address6: 'fd00:64::2', allowedIps: '10.64.0.2/32,fd00:64::2/128' });
    expect(wgSets()).toEqual([['wg', 'set', 'wg0', 'peer', testKey(1), 'allowed-ips', '10.64.0.2/32,fd00:64::2/128']]);
    expect(h.registry.sessions.get(1)).toMatchObject({ address6: 'fd00:64::2' });
    const node = await h.gql(`{ node { address address6 addressPool addressPool6 } }`);
    expect(node.body.data.node).toEqual({ address: '10.64.0.1', address6: 'fd00:64::1', addressPool: '10.64.0.0/16', addressPool6: POOL6 });
  });

  it('without a v6 pool: address6 is null and allowed-ips is the /32 alone', async () => {
    h = createHarness();
    await seedDevice(h, 1, 1, []);
    const res = await h.gql(CONNECT6, { userId: 1, deviceId: 1, publicKey: testKey(1) });
    expect(res.body.data.connectDevice).toMatchObject({ address6: null, allowedIps: '10.64.0.2/32' });
    expect(wgSets()).toEqual([['wg', 'set', 'wg0', 'peer', testKey(1), 'allowed-ips', '10.64.0.2/32']]);
    expect((await h.gql(`{ node { address6 addressPool6 } }`)).body.data.node).toEqual({ address6: null, addressPool6: null });
  });

  it('gives every live session its own IPv6 address, never the interface\'s, also after addresses are freed and reused', async () => {
    const keys = Array.from({ length: 12 }, (_, i) => testKey(i + 1));
    await seedDevice(h, 1, 1, keys.slice(0, 6));
    await seedDevice(h, 2, 1, keys.slice(6));
    expect((await h.gql(DISCONNECT, { userId: 1, deviceId: 1 })).body.data.disconnectByUserIdAndDeviceId).toBe(true);
    await seedDevice(h, 1, 2, Array.from({ length: 6 }, (_, i) => testKey(i + 20)));
    const live = h.registry.sessions.list({ status: 'ACTIVE' }, 100, null);
    expect(live).toHaveLength(12);
    const v6 = live.map((s) => s.address6);
    expect(new Set(v6).size).toBe(12);
    expect(v6).not.toContain('fd00:64::1');
    expect(v6.every((a) => a !== null && parseIpv6(a) >> 16n === parseIpv6('fd00:64::') >> 16n)).toBe(true);
    // Each peer on the interface routes exactly its session's two addresses.
    for (const s of live) expect(h.runner.peers.get(s.publicKey)?.allowedIps).toBe(`${formatIpv4(s.address)}/32,${s.address6}/128`);
  });

  it('is exhausted when the IPv4 pool is (the v6 prefix always holds it), and a freed pair is handed out again', async () => {
    h = createHarness({ env: { WGNODE_ADDRESS_POOL: '10.64.0.0/30', WGNODE_ADDRESS_POOL6: 'fd00:64::/126' } });
    await seedDevice(h, 1, 1, []);
    expect((await h.gql(CONNECT6, { userId: 1, deviceId: 1, publicKey: testKey(1) })).body.data.connectDevice).toMatchObject({ address6: 'fd00:64::2' });
    const refused = await h.gql(CONNECT, { userId: 1, deviceId: 1, publicKey: testKey(2) });
    expect(refused.body.errors[0].extensions.code).toBe('ADDRESS_POOL_EXHAUSTED');
    await h.gql(DISCONNECT, { userId: 1, deviceId: 1 });
    expect((await h.gql(CONNECT6, { userId: 1, deviceId: 1, publicKey: testKey(2) })).body.data.connectDevice).toMatchObject({ address6: 'fd00:64::2' });
  });

  it('the reconciler restores a peer missing its IPv6 allowed-ip, and leaves one that wg lists in another order alone', async () => {
    await seedDevice(h, 1, 1, [testKey(1), testKey(2)]);
    h.runner.peers.get(testKey(1))!.allowedIps = '10.64.0.2/32';
    h.runner.peers.get(testKey(2))!.allowedIps = 'fd00:64:0:0::3/128,10.64.0.3/32';
    h.runner.calls.length = 0;
    const report = await h.agent.reconciler.runOnce();
    expect(report).toMatchObject({ ok: true, restoredPeers: 1 });
    expect(wgSets()).toEqual([['wg', 'set', 'wg0', 'peer', testKey(1), 'allowed-ips', '10.64.0.2/32,fd00:64::2/128']]);
    expect(h.runner.peers.get(testKey(1))!.allowedIps).toBe('10.64.0.2/32,fd00:64::2/128');
    // And one missing its IPv4 address, the same way.
    h.runner.peers.get(testKey(1))!.allowedIps = 'fd00:64::2/128';
    expect((await h.agent.reconciler.runOnce()).restoredPeers).toBe(1);
    expect(h.runner.peers.get(testKey(1))!.allowedIps).toBe('10.64.0.2/32,fd00:64::2/128');
  });

  it('refuses an allowed-ips value that is not a list of CIDRs before any argv is built', async () => {
    await expect(h.agent.peers.addPeers([{ publicKey: testKey(1), allowedIps: '10.64.0.2/32,fd00::2' }])).rejects.toThrow(/invalid allowed-ips/);
    await expect(h.agent.peers.addPeers([{ publicKey: testKey(1), allowedIps: '10.64.0.2/32,fd00::2/129' }])).rejects.toThrow(/invalid allowed-ips/);
    await expect(h.agent.peers.addPeers([{ publicKey: testKey(1), allowedIps: '10.64.0.2/32, -x' }])).rejects.toThrow(/invalid allowed-ips/);
    expect(wgSets()).toEqual([]);
  });
});


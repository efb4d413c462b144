// Key rotation: a device over its session limit (WGNODE_SESSIONS_PER_DEVICE, default 1) gets its
// oldest session replaced, and the old key leaves in the very `wg set` call that adds the new one.
import { describe, expect, it } from 'vitest';
import { ACTIVATE, CONNECT, createHarness } from '../support/harness.js';
import { testKey } from '../support/keys.js';

async function node(perDevice: string) {
  const h = createHarness({ env: { WGNODE_SESSIONS_PER_DEVICE: perDevice } });
  await h.gql(ACTIVATE, { userId: 1, deviceId: 1 });
  const connect = (n: number) => h.gql(CONNECT, { userId: 1, deviceId: 1, publicKey: testKey(n) });
  return { h, connect };
}

describe('key rotation', () => {
  it('replaces the old key in ONE wg set: peer OLD remove peer NEW allowed-ips', async () => {
    const { h, connect } = await node('1');
    await connect(1);
    const freeWithOne = h.registry.freeAddresses();
    const res = await connect(2);
    expect(res.body.data.connectDevice).toMatchObject({ publicKey: testKey(2), status: 'ACTIVE' });
    expect(h.runner.setCalls()).toEqual([
      ['wg', 'set', 'wg0', 'peer', testKey(1), 'allowed-ips', '10.64.0.2/32'],
      ['wg', 'set', 'wg0', 'peer', testKey(1), 'remove', 'peer', testKey(2), 'allowed-ips', '10.64.0.3/32'],
    ]);
    expect([...h.runner.peers.keys()]).toEqual([testKey(2)]);
    expect(h.registry.sessions.list({}, 10, null)).toMatchObject([
      { publicKey: testKey(1), status: 'ENDED', endReason: 'replaced', endedBy: 'admin-token' },
      { publicKey: testKey(2), status: 'ACTIVE' },
    ]);
    // The replaced session's address is free again.
    expect(h.registry.freeAddresses()).toBe(freeWithOne);
    expect(h.registry.audit.list({ action: 'connect' }, 10, null).map((a) => [a.outcome, a.detail])).toContainEqual(['ok', '{"replaced":[1]}']);
  });

  it('is a plain add for a retry of the same key (no replacement)', async () => {
    const { h, connect } = await node('1');
    const first = await connect(1);
    const again = await connect(1);
    expect(again.body.data.connectDevice.id).toBe(first.body.data.connectDevice.id);
    expect(h.runner.setCalls()).toHaveLength(1);
  });

  it('keeps up to N keys with WGNODE_SESSIONS_PER_DEVICE=N, then replaces the oldest', async () => {
    const { h, connect } = await node('2');
    await connect(1);
    await connect(2);
    expect([...h.runner.peers.keys()]).toEqual([testKey(1), testKey(2)]);
    await connect(3);
    expect(h.runner.setCalls().at(-1)).toEqual(['wg', 'set', 'wg0', 'peer', testKey(1), 'remove', 'peer', testKey(3), 'allowed-ips', '10.64.0.4/32']);
    expect([...h.runner.peers.keys()].sort()).toEqual([testKey(2), testKey(3)].sort());
  });

  it('keeps every key with WGNODE_SESSIONS_PER_DEVICE=0 (the behaviour before rotation)', async () => {
    const { h, connect } = await node('0');
    for (const n of [1, 2, 3]) await connect(n);
    expect(h.runner.peers.size).toBe(3);
    expect(h.registry.sessions.count({ status: 'ACTIVE' })).toBe(3);
  });

  it('leaves the replaced session ENDING for the reconciler when the swap fails', async () => {
    const { h, connect } = await node('1');
    await connect(1);
    h.runner.failWhen = (argv) => argv.includes('set');
    const res = await connect(2);
    expect(res.body.errors[0].extensions.code).toBe('PEER_ADD_FAILED');
    expect(h.registry.sessions.list({}, 10, null).map((s) => [s.status, s.endReason])).toEqual([
      ['ENDING', 'replaced'],
      ['ENDING', 'connect failed'],
    ]);
    h.runner.failWhen = null;
    await h.agent.reconciler.runOnce();
    expect(h.runner.peers.size).toBe(0);
    expect(h.registry.sessions.count({ status: 'ENDED' })).toBe(2);
  });
});

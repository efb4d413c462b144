// Conntrack entries of revoked addresses: the argvs, the namespace, and that a failure never
// turns a confirmed removal into an error.
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logger.js';
import { conntrackArgvs, createConntrackFlusher } from '../../src/wireguard/conntrack.js';
import { CommandFailedError } from '../../src/wireguard/runner.js';
import { DISCONNECT, createHarness, seedDevice } from '../support/harness.js';
import { testKey } from '../support/keys.js';

const conntrackCalls = (calls: string[][]) => calls.filter((argv) => argv.includes('conntrack'));

describe('conntrack argvs', () => {
  it('deletes the flows an address opened and the flows to it', () => {
    expect(conntrackArgvs('10.64.0.2')).toEqual([
      ['-D', '--orig-src', '10.64.0.2'],
      ['-D', '--reply-src', '10.64.0.2'],
    ]);
  });

  it('names the IPv6 family for a dual-stack address, or conntrack would search the IPv4 table', () => {
    expect(conntrackArgvs('fd00:64::2')).toEqual([
      ['-D', '-f', 'ipv6', '--orig-src', 'fd00:64::2'],
      ['-D', '-f', 'ipv6', '--reply-src', 'fd00:64::2'],
    ]);
  });

  it('forgets both addresses of a dual-stack session', async () => {
    const calls: string[][] = [];
    const runner = {
      run(file: string, args: readonly string[]) {
        calls.push([file, ...args]);
        return Promise.resolve({ stdout: '' });
      },
    };
    const flusher = createConntrackFlusher({ runner, bin: 'conntrack', ipBin: 'ip', netns: '', log: silentLogger });
    flusher.forget([{ address: 0x0a400002, address6: 'fd00:64::2' }]);
    await flusher.idle();
    expect(calls.map((argv) => argv.at(-1))).toEqual(['10.64.0.2', '10.64.0.2', 'fd00:64::2', 'fd00:64::2']);
  });

  it('runs in the node namespace; "0 flow entries" (exit 1) is success; other failures are counted, not thrown', async () => {
    const calls: string[][] = [];
    const outcomes: string[] = [];
    const runner = {
      run(file: string, args: readonly string[]) {
        calls.push([file, ...args]);
        const address = args[args.length - 1];
        if (address === '10.64.0.2') throw new CommandFailedError('exit 1', '', 1, 'conntrack v1.4.7 (conntrack-tools): 0 flow entries have been deleted.');
        if (address === '10.64.0.3') throw new CommandFailedError('exit 1', '', 1, 'conntrack v1.4.7 (conntrack-tools): Operation not permitted');
        return Promise.resolve({ stdout: '' });
      },
    };
    const flusher = createConntrackFlusher({ runner, bin: 'conntrack', ipBin: 'ip', netns: 'wgns', log: silentLogger, onOutcome: (o) => outcomes.push(o) });
    flusher.forget([0x0a400002, 0x0a400003, 0x0a400004].map((address) => ({ address, address6: null })));
    await flusher.idle();
    expect(calls[0]).toEqual(['ip', 'netns', 'exec', 'wgns', 'conntrack', '-D', '--orig-src', '10.64.0.2']);
    expect(outcomes).toEqual(['ok', 'failed', 'ok']);
  });
});

describe('a revocation deletes the conntrack entries of its addresses', () => {
  it('after the peer is confirmed gone, only with WGNODE_CONNTRACK on', async () => {
    const h = createHarness({ env: { WGNODE_CONNTRACK: 'true' } });
    await seedDevice(h, 1, 1, [testKey(1)]);
    expect(conntrackCalls(h.runner.calls)).toEqual([]);
    const res = await h.gql(DISCONNECT, { userId: 1, deviceId: 1 });
    expect(res.body.data.disconnectByUserIdAndDeviceId).toBe(true);
    await h.agent.conntrack!.idle();
    const calls = conntrackCalls(h.runner.calls);
    expect(calls).toEqual([
      ['conntrack', '-D', '--orig-src', '10.64.0.2'],
      ['conntrack', '-D', '--reply-src', '10.64.0.2'],
    ]);
    // The peer went first.
    const removal = h.runner.calls.findIndex((argv) => argv.includes('remove'));
    expect(removal).toBeGreaterThanOrEqual(0);
    expect(h.runner.calls.indexOf(calls[0]!)).toBeGreaterThan(removal);

    const off = createHarness();
    await seedDevice(off, 1, 1, [testKey(1)]);
    await off.gql(DISCONNECT, { userId: 1, deviceId: 1 });
    expect(off.agent.conntrack).toBeUndefined();
    expect(conntrackCalls(off.runner.calls)).toEqual([]);
  });

  it('a failing conntrack leaves the revocation true; an unconfirmed removal deletes nothing until the reconciler finishes it', async () => {
    const h = createHarness({ env: { WGNODE_CONNTRACK: 'true' } });
    await seedDevice(h, 1, 1, [testKey(1)]);
    await seedDevice(h, 2, 1, [testKey(2)]);
    h.runner.failWhen = (argv) => argv.includes('conntrack');
    expect((await h.gql(DISCONNECT, { userId: 1, deviceId: 1 })).body.data.disconnectByUserIdAndDeviceId).toBe(true);
    await h.agent.conntrack!.idle();
    expect(await h.agent.metrics.render()).toMatch(/wgnode_conntrack_deletions_total\{outcome="failed"\} 1/);

    h.runner.failWhen = (argv) => argv.includes('remove');
    const before = conntrackCalls(h.runner.calls).length;
    const pending = await h.gql(DISCONNECT, { userId: 2, deviceId: 1 });
    expect(pending.body.errors[0].extensions.code).toBe('REMOVAL_PENDING');
    await h.agent.conntrack!.idle();
    expect(conntrackCalls(h.runner.calls).length).toBe(before);

    // The reconciler finishes that removal: then its entries go too.
    h.runner.failWhen = null;
    await h.agent.reconciler.runOnce();
    await h.agent.conntrack!.idle();
    expect(conntrackCalls(h.runner.calls).slice(before)).toEqual([
      ['conntrack', '-D', '--orig-src', '10.64.0.3'],
      ['conntrack', '-D', '--reply-src', '10.64.0.3'],
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { createPeerCoalescer, GIVE_UP_AFTER } from '../../src/wireguard/coalescer.js';
import { createSetPeers } from '../../src/wireguard/interface.js';
import { FakeRunner } from '../support/fake-runner.js';
import { testKey } from '../support/keys.js';

function setup(options: { maxClauses?: number } = {}) {
  const runner = new FakeRunner();
  const setPeers = createSetPeers({ runner, name: 'wg0', wgBin: 'wg', ipBin: 'ip', netns: '' });
  const peers = createPeerCoalescer(setPeers, options);
  return { runner, peers };
}

/** Holds every command in flight until release() is called. */
function hold(runner: FakeRunner) {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  runner.delay = () => gate;
  return () => {
    runner.delay = null;
    release();
  };
}

const clauses = (argv: readonly string[]) => argv.slice(3); // after `wg set wg0`
const add = (n: number) => ({ publicKey: testKey(n), allowedIps: `10.64.0.${n}/32` });

describe('peer coalescer', () => {
  it('sends concurrent removals queued behind an in-flight call together, in one wg set', async () => {
    const { runner, peers } = setup();
    const release = hold(runner);
    const first = peers.removePeers([testKey(1)]);
    await Promise.resolve(); // the first call starts
    await Promise.resolve();
    const rest = Array.from({ length: 50 }, (_, i) => peers.removePeers([testKey(100 + i)]));
    release();
    await Promise.all([first, ...rest]);

    const calls = runner.setCalls();
    expect(calls).toHaveLength(2);
    expect(clauses(calls[0]!)).toEqual(['peer', testKey(1), 'remove']);
    expect(clauses(calls[1]!)).toEqual(Array.from({ length: 50 }, (_, i) => ['peer', testKey(100 + i), 'remove']).flat());
  });

  it('requests made in the same tick share the first call', async () => {
    const { runner, peers } = setup();
    await Promise.all([peers.removePeers([testKey(1)]), peers.removePeers([testKey(2), testKey(3)])]);
    expect(runner.setCalls()).toEqual([['wg', 'set', 'wg0', 'peer', testKey(1), 'remove', 'peer', testKey(2), 'remove', 'peer', testKey(3), 'remove']]);
  });

  it('keeps adds and removes of one key in request order, so a later remove wins', async () => {
    const { runner, peers } = setup();
    await Promise.all([peers.addPeers([add(7)]), peers.removePeers([testKey(7)]), peers.addPeers([add(8)])]);
    expect(runner.setCalls()).toHaveLength(1);
    expect(clauses(runner.setCalls()[0]!)).toEqual([
      'peer', testKey(7), 'allowed-ips', '10.64.0.7/32',
      'peer', testKey(7), 'remove',
      'peer', testKey(8), 'allowed-ips', '10.64.0.8/32',
    ]);
    expect([...runner.peers.keys()]).toEqual([testKey(8)]);
  });

  it('splits a long queue into calls of at most maxClauses clauses, without splitting a request', async () => {
    const { runner, peers } = setup({ maxClauses: 10 });
    const requests = Array.from({ length: 12 }, (_, i) => peers.removePeers([testKey(3 * i + 1), testKey(3 * i + 2), testKey(3 * i + 3)]));
    await Promise.all(requests);
    const sizes = runner.setCalls().map((argv) => clauses(argv).length / 3);
    expect(sizes).toEqual([9, 9, 9, 9]);
  });

  it('a request larger than the limit still goes out, split by the interface', async () => {
    const { runner, peers } = setup({ maxClauses: 10 });
    await peers.removePeers(Array.from({ length: 2500 }, (_, i) => testKey(i + 1)));
    expect(runner.setCalls().map((argv) => clauses(argv).length / 3)).toEqual([2000, 500]);
  });

  it('when a shared call fails, each request is retried alone and gets its own answer', async () => {
    const { runner, peers } = setup();
    const bad = testKey(2);
    // wg refuses any call that carries this one key (as if that one clause were rejected).
    runner.failWhen = (argv) => argv.includes(bad);
    const results = await Promise.allSettled([
      peers.removePeers([testKey(1)]),
      peers.removePeers([bad]),
      peers.removePeers([testKey(3), testKey(4)]),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const calls = runner.setCalls().map(clauses);
    expect(calls).toEqual([
      ['peer', testKey(1), 'remove', 'peer', bad, 'remove', 'peer', testKey(3), 'remove', 'peer', testKey(4), 'remove'],
      ['peer', testKey(1), 'remove'],
      ['peer', bad, 'remove'],
      ['peer', testKey(3), 'remove', 'peer', testKey(4), 'remove'],
    ]);
  });

  it('a failing batch does not hold back or fail the batch after it', async () => {
    const { runner, peers } = setup();
    const release = hold(runner);
    runner.failWhen = (argv) => argv.includes(testKey(1));
    const first = peers.removePeers([testKey(1)]);
    await Promise.resolve();
    await Promise.resolve();
    const second = peers.removePeers([testKey(2)]);
    release();
    await expect(first).rejects.toThrow(/simulated failure/);
    await expect(second).resolves.toBeUndefined();
  });

  it('rejects an invalid key at once, without building any argv, and its neighbours succeed', async () => {
    const { runner, peers } = setup();
    const results = await Promise.allSettled([
      peers.removePeers([testKey(1)]),
      peers.removePeers(['not-a-key; rm -rf /']),
      peers.addPeers([{ publicKey: testKey(5), allowedIps: '10.64.0.5/32 peer x' }]),
      peers.removePeers([testKey(3)]),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect(runner.setCalls().map(clauses)).toEqual([['peer', testKey(1), 'remove', 'peer', testKey(3), 'remove']]);
  });

  it(`when the interface fails as a whole, stops retrying one by one after ${GIVE_UP_AFTER} failures in a row`, async () => {
    const { runner, peers } = setup();
    runner.failWhen = () => true;
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => peers.removePeers([testKey(i + 1)])));
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect(runner.setCalls()).toHaveLength(1 + GIVE_UP_AFTER);
  });

  it('idle() waits for queued and in-flight calls', async () => {
    const { runner, peers } = setup();
    const release = hold(runner);
    void peers.removePeers([testKey(1)]);
    void peers.removePeers([testKey(2)]);
    let idle = false;
    const waiting = peers.idle().then(() => (idle = true));
    await new Promise((r) => setTimeout(r, 5));
    expect(idle).toBe(false);
    release();
    await waiting;
    expect(runner.setCalls()).toHaveLength(1);
  });
});

// The wall clock jumping under the reconciler: injected wall and monotonic clocks.
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logger.js';
import { createReconciler } from '../../src/reconcile/reconciler.js';
import { isOnline, onlineSince } from '../../src/registry/online.js';
import { createHarness, seedDevice } from '../support/harness.js';
import { testKey } from '../support/keys.js';

const T0 = Date.parse('2026-11-23T12:00:00Z');
const HOUR = 3_600_000;

async function node(handshakeAgesS: number[]) {
  const clocks = { wall: T0, mono: 1_000 };
  const h = createHarness({ now: () => clocks.wall });
  for (const [i, age] of handshakeAgesS.entries()) {
    await seedDevice(h, i + 1, 1, [testKey(i + 1)]);
    h.runner.peers.get(testKey(i + 1))!.latestHandshake = (T0 - age * 1000) / 1000;
  }
  const reconciler = createReconciler({
    registry: h.registry,
    wireguard: h.wireguard,
    peers: h.agent.peers,
    log: silentLogger,
    staticPeers: new Set(),
    intervalMs: 30_000,
    onlineWindowS: 180,
    idleTimeoutS: 600,
    now: () => clocks.wall,
    monotonicNow: () => clocks.mono,
  });
  /** Both clocks move by `ms`; the wall clock then jumps by `jumpMs`. */
  const advance = (ms: number, jumpMs = 0) => {
    clocks.wall += ms + jumpMs;
    clocks.mono += ms;
  };
  const online = () => h.registry.sessions.liveActivity().map((s) => isOnline(s, onlineSince(clocks.wall, 180)));
  const statuses = () => h.registry.sessions.list({}, 100, null).map((s) => s.status);
  return { h, reconciler, advance, online, statuses, clocks };
}

describe('wall-clock jumps', () => {
  it('a jump forward by an hour ends no session as idle and leaves online sessions online', async () => {
    const { reconciler, advance, online, statuses } = await node([10, 20, 60]);
    expect((await reconciler.runOnce()).ok).toBe(true);
    expect(online()).toEqual([true, true, true]);

    advance(30_000, HOUR);
    const report = await reconciler.runOnce();
    expect(report.clockJumpMs).toBe(HOUR);
    expect(report.endedIdleSessions).toBe(0);
    expect(statuses()).toEqual(['ACTIVE', 'ACTIVE', 'ACTIVE']);
    expect(online()).toEqual([true, true, true]);

    // The next pass sees no jump, and wg still reports the old handshake times: still no bulk change.
    advance(30_000);
    expect((await reconciler.runOnce()).clockJumpMs).toBeNull();
    expect(statuses()).toEqual(['ACTIVE', 'ACTIVE', 'ACTIVE']);
    expect(online()).toEqual([true, true, true]);

    // Truly idle for longer than the timeout (measured on the monotonic clock): they do end.
    advance(600_000);
    expect((await reconciler.runOnce()).endedIdleSessions).toBe(3);
  });

  it('a jump back by an hour does not mark offline sessions online', async () => {
    const { reconciler, advance, online } = await node([10, 400]);
    await reconciler.runOnce();
    expect(online()).toEqual([true, false]);
    advance(30_000, -HOUR);
    const report = await reconciler.runOnce();
    expect(report.clockJumpMs).toBe(-HOUR);
    expect(online()).toEqual([true, false]);
  });

  it('the age of the last successful pass (readiness) does not jump with the wall clock', async () => {
    const { reconciler, advance, clocks } = await node([10]);
    await reconciler.runOnce();
    advance(20_000, HOUR);
    expect(clocks.wall - reconciler.lastSuccessAt()!).toBe(20_000);
    advance(20_000, -2 * HOUR);
    expect(clocks.wall - reconciler.lastSuccessAt()!).toBe(40_000);
  });

  it('a new handshake after the jump is recorded as wg reports it', async () => {
    const { h, reconciler, advance } = await node([10]);
    await reconciler.runOnce();
    advance(30_000, HOUR);
    await reconciler.runOnce();
    advance(30_000);
    const fresh = Math.floor((T0 + HOUR + 55_000) / 1000);
    h.runner.peers.get(testKey(1))!.latestHandshake = fresh;
    await reconciler.runOnce();
    expect(h.registry.sessions.liveByKey(testKey(1))?.lastHandshakeAt).toBe(fresh * 1000);
  });
});

// Expiring sessions (connectDevice lifetimeS): the reconciler ends them as 'expired', on a fake
// clock, and a wall-clock jump neither ends them early nor keeps them late.
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logger.js';
import { createReconciler } from '../../src/reconcile/reconciler.js';
import { ACTIVATE, createHarness } from '../support/harness.js';
import { testKey } from '../support/keys.js';

const T0 = Date.parse('2026-11-23T12:00:00Z');
const HOUR = 3_600_000;
const CONNECT_FOR = `mutation ($publicKey: String!, $lifetimeS: Int) {
  connectDevice(userId: 1, deviceId: 1, publicKey: $publicKey, lifetimeS: $lifetimeS) { id expiresAt }
}`;

async function node() {
  const clocks = { wall: T0, mono: 1_000 };
  const h = createHarness({ now: () => clocks.wall });
  await h.gql(ACTIVATE, { userId: 1, deviceId: 1 });
  const reconciler = createReconciler({
    registry: h.registry,
    wireguard: h.wireguard,
    peers: h.agent.peers,
    log: silentLogger,
    staticPeers: new Set(),
    intervalMs: 30_000,
    onlineWindowS: 180,
    idleTimeoutS: 0,
    now: () => clocks.wall,
    monotonicNow: () => clocks.mono,
  });
  /** Both clocks move by `ms`; the wall clock then jumps by `jumpMs`. */
  const advance = (ms: number, jumpMs = 0) => {
    clocks.wall += ms + jumpMs;
    clocks.mono += ms;
  };
  const session = () => h.registry.sessions.get(1)!;
  return { h, reconciler, advance, session };
}

describe('expiring sessions', () => {
  it('shows expiresAt and ends the session as expired once it passes', async () => {
    const { h, reconciler, advance, session } = await node();
    const res = await h.gql(CONNECT_FOR, { publicKey: testKey(1), lifetimeS: 3600 });
    expect(res.body.data.connectDevice).toEqual({ id: '1', expiresAt: new Date(T0 + HOUR).toISOString() });
    await h.gql(CONNECT_FOR, { publicKey: testKey(2) }); // no lifetime: never expires
    await reconciler.runOnce();
    advance(HOUR - 1000);
    expect((await reconciler.runOnce()).endedExpiredSessions).toBe(0);
    advance(1000);
    expect((await reconciler.runOnce()).endedExpiredSessions).toBe(1);
    expect(session()).toMatchObject({ status: 'ENDED', endReason: 'expired', endedBy: 'reconciler' });
    expect([...h.runner.peers.keys()]).toEqual([testKey(2)]);
    expect(h.registry.audit.list({ action: 'end-expired' }, 10, null)).toMatchObject([{ outcome: 'ok', sessionId: 1 }]);
  });

  it('is not ended early by a wall clock jumping forward, and its expiresAt moves with the clock', async () => {
    const { h, reconciler, advance, session } = await node();
    await h.gql(CONNECT_FOR, { publicKey: testKey(1), lifetimeS: 3600 });
    await reconciler.runOnce();
    advance(10 * 60_000, 2 * HOUR); // 10 minutes pass; the wall clock jumps two hours ahead
    const report = await reconciler.runOnce();
    expect(report.clockJumpMs).toBe(2 * HOUR);
    expect(report.endedExpiredSessions).toBe(0);
    expect(session()).toMatchObject({ status: 'ACTIVE', expiresAt: T0 + 3 * HOUR });
    advance(50 * 60_000); // a full hour of elapsed time since the connect
    expect((await reconciler.runOnce()).endedExpiredSessions).toBe(1);
  });

  it('is not kept alive by a wall clock jumping back', async () => {
    const { h, reconciler, advance, session } = await node();
    await h.gql(CONNECT_FOR, { publicKey: testKey(1), lifetimeS: 3600 });
    await reconciler.runOnce();
    advance(10 * 60_000, -5 * HOUR);
    await reconciler.runOnce();
    expect(session().status).toBe('ACTIVE');
    advance(50 * 60_000);
    expect((await reconciler.runOnce()).endedExpiredSessions).toBe(1);
  });

  it('refuses a lifetime that is not a positive number of seconds within a year', async () => {
    const { h } = await node();
    for (const lifetimeS of [0, -5, 31_536_001]) {
      const res = await h.gql(CONNECT_FOR, { publicKey: testKey(1), lifetimeS });
      expect(res.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    }
    expect(h.runner.setCalls()).toEqual([]);
  });
});

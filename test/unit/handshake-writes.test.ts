// The reconciler's bookkeeping writes: the handshake column only when the wire moved it (an
// UPDATE that sets it maintains its indexes even for an equal value), the counters every time.
import { describe, expect, it } from 'vitest';
import { planReconcile } from '../../src/reconcile/plan.js';
import { createHarness, seedDevice } from '../support/harness.js';
import { testKey } from '../support/keys.js';

const T0 = Date.parse('2026-11-23T12:00:00.000Z');

describe('handshake and counter writes', () => {
  it('a plan carries the handshake only when it changed; the counters always', async () => {
    const h = createHarness({ now: () => T0 });
    const [id] = await seedDevice(h, 1, 1, [testKey(1)]);
    const [session] = h.registry.sessions.liveActivity();
    const peer = (latestHandshakeS: number, rx: number) => ({ publicKey: testKey(1), endpoint: null, allowedIps: '10.64.0.2/32', latestHandshake: latestHandshakeS, rxBytes: rx, txBytes: 0 });
    const plan = (latestHandshakeS: number, rx: number, seen = session!) => planReconcile([peer(latestHandshakeS, rx)], [seen], { staticPeers: new Set(), now: T0, idleTimeoutS: 0 }).handshakes;

    expect(plan(0, 100)).toEqual([{ id: Number(id), rxBytes: 100, txBytes: 0, rxSeen: 100, txSeen: 0 }]);
    expect(plan(T0 / 1000, 100)).toEqual([{ id: Number(id), lastHandshakeAt: T0, rxBytes: 100, txBytes: 0, rxSeen: 100, txSeen: 0 }]);
    expect(plan(T0 / 1000, 100, { ...session!, lastHandshakeAt: T0 })).toEqual([{ id: Number(id), rxBytes: 100, txBytes: 0, rxSeen: 100, txSeen: 0 }]);
  });

  it('an update without the handshake keeps the stored one and writes the counters', async () => {
    const h = createHarness({ now: () => T0 });
    const [id] = await seedDevice(h, 1, 1, [testKey(1)]);
    h.registry.sessions.recordHandshakes([{ id: Number(id), lastHandshakeAt: T0 - 5_000, rxBytes: 10, txBytes: 20, rxSeen: 10, txSeen: 20 }]);
    h.registry.sessions.recordHandshakes([{ id: Number(id), rxBytes: 15, txBytes: 25, rxSeen: 15, txSeen: 25 }]);
    expect(h.registry.sessions.liveActivity()[0]).toMatchObject({ lastHandshakeAt: T0 - 5_000, rxBytes: 15, txBytes: 25, rxSeen: 15, txSeen: 25 });
    h.registry.sessions.recordHandshakes([{ id: Number(id), lastHandshakeAt: null, rxBytes: 15, txBytes: 25 }]);
    expect(h.registry.sessions.liveActivity()[0]).toMatchObject({ lastHandshakeAt: null, rxSeen: 15, txSeen: 25 });
  });
});

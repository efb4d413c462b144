// Byte totals across peer re-adds: WireGuard's counters start over when a peer is removed and
// added again (interface restart + restore); the session's totals must neither go back nor count twice.
import { beforeEach, describe, expect, it } from 'vitest';
import { planReconcile } from '../../src/reconcile/plan.js';
import type { LiveActivity } from '../../src/registry/index.js';
import { createHarness, seedDevice, type Harness } from '../support/harness.js';
import { testKey } from '../support/keys.js';

const T0 = Date.parse('2026-11-23T12:00:00Z');
let h: Harness;
beforeEach(() => {
  h = createHarness({ now: () => T0 });
});

const totals = (id: string) => {
  const s = h.registry.sessions.get(Number(id))!;
  return { rx: s.rxBytes, tx: s.txBytes };
};
const wire = (rxBytes: number, txBytes: number) => Object.assign(h.runner.peers.get(testKey(1))!, { rxBytes, txBytes });

describe('byte totals', () => {
  it('grow by what the interface counted, stay put when it says nothing new, and survive an interface restart', async () => {
    const [id] = await seedDevice(h, 1, 1, [testKey(1)]);
    wire(1000, 2000);
    await h.agent.reconciler.runOnce();
    expect(totals(id!)).toEqual({ rx: 1000, tx: 2000 });
    wire(1500, 2100);
    await h.agent.reconciler.runOnce();
    await h.agent.reconciler.runOnce();
    expect(totals(id!)).toEqual({ rx: 1500, tx: 2100 });

    // The interface restarts empty: the pass sees the peer gone and restores it with fresh counters.
    h.runner.peers.clear();
    const restoring = await h.agent.reconciler.runOnce();
    expect(restoring.restoredPeers).toBe(1);
    expect(h.runner.peers.get(testKey(1))).toMatchObject({ rxBytes: 0, txBytes: 0 });
    expect(totals(id!)).toEqual({ rx: 1500, tx: 2100 });
    await h.agent.reconciler.runOnce(); // the fresh peer reads 0: nothing new, nothing lost
    expect(totals(id!)).toEqual({ rx: 1500, tx: 2100 });

    // Traffic after the restore adds to the totals, even once the new counter passes the old one.
    wire(300, 40);
    await h.agent.reconciler.runOnce();
    expect(totals(id!)).toEqual({ rx: 1800, tx: 2140 });
    wire(2000, 3000);
    await h.agent.reconciler.runOnce();
    expect(totals(id!)).toEqual({ rx: 3500, tx: 5100 });
    const api = await h.gql(`query ($id: ID!) { session(id: $id) { rxBytes txBytes } }`, { id });
    expect(api.body.data.session).toEqual({ rxBytes: 3500, txBytes: 5100 });
  });

  it('a reading below the last one (re-added between two passes) is new traffic, not a step back', async () => {
    const [id] = await seedDevice(h, 1, 1, [testKey(1)]);
    wire(1000, 1000);
    await h.agent.reconciler.runOnce();
    wire(200, 0); // removed and re-added by someone else, then 200 bytes in
    await h.agent.reconciler.runOnce();
    expect(totals(id!)).toEqual({ rx: 1200, tx: 1000 });
  });

  it('never go backwards over any sequence of readings and restarts (planner, many steps)', () => {
    let session: LiveActivity = {
      id: 1, publicKey: testKey(1), address: 0x0a400002, address6: null, status: 'ACTIVE', userId: 1, deviceId: 1,
      startedAt: T0, lastHandshakeAt: null, rxBytes: 0, txBytes: 0, rxSeen: 0, txSeen: 0,
    };
    let counter = 0;
    let sent = 0; // every byte the peer ever counted, across incarnations
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let step = 0; step < 500; step++) {
      const restart = random() < 0.2;
      if (restart) counter = 0; // the peer is gone; the restore brings it back at 0
      else {
        const more = Math.floor(random() * 10_000);
        counter += more;
        sent += more;
      }
      const peers = restart ? [] : [{ publicKey: testKey(1), endpoint: null, allowedIps: '10.64.0.2/32', latestHandshake: 0, rxBytes: counter, txBytes: counter }];
      const plan = planReconcile(peers, [session], { staticPeers: new Set(), now: T0, idleTimeoutS: 0 });
      const update = plan.handshakes[0];
      if (update) {
        expect(update.rxBytes).toBeGreaterThanOrEqual(session.rxBytes);
        session = { ...session, rxBytes: update.rxBytes, txBytes: update.txBytes, rxSeen: update.rxSeen ?? session.rxSeen, txSeen: update.txSeen ?? session.txSeen };
      }
      // Read at every step (nothing slips past between readings), the totals are exact.
      expect(session.rxBytes).toBe(sent);
    }
  });
});

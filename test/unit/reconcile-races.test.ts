// A reconcile pass against mutations that land between its plan and its commands, and against a
// registry that refuses its bookkeeping writes.
import { describe, expect, it, vi } from 'vitest';
import { planReconcile } from '../../src/reconcile/plan.js';
import { applyPlan, type RepairCounts } from '../../src/reconcile/repairs.js';
import { ACTIVATE, CONNECT, DEACTIVATE, DISCONNECT, createHarness, seedDevice, type Harness } from '../support/harness.js';
import { testKey } from '../support/keys.js';

const T0 = Date.parse('2026-11-23T12:00:00Z');
const counts = (): RepairCounts => ({ removedUnknownPeers: 0, finishedIntents: 0, restoredPeers: 0, endedIdleSessions: 0, endedExpiredSessions: 0, handshakesRecorded: 0 });

async function planNow(h: Harness, idleTimeoutS = 0) {
  const dump = await h.wireguard.dump();
  return planReconcile(dump.peers, h.registry.sessions.liveActivity(), { staticPeers: new Set(), now: T0, idleTimeoutS });
}

/** Leaves user's session ENDING with its peer still on the interface (its removal failed). */
async function endingWithPeer(h: Harness, userId: number) {
  h.runner.failWhen = (argv) => argv.includes('remove');
  const res = await h.gql(DISCONNECT, { userId, deviceId: 1 });
  h.runner.failWhen = null;
  expect(res.body.errors[0].extensions.code).toBe('REMOVAL_PENDING');
}

describe('reconciler: every key is checked again right before the command', () => {
  it('keeps the peer of a fresh connect of the key an ENDING session held when the pass planned', async () => {
    const h = createHarness({ now: () => T0 });
    await seedDevice(h, 1, 1, [testKey(1)]);
    await endingWithPeer(h, 1);
    const plan = await planNow(h);
    expect(plan.finishing.map((s) => s.publicKey)).toEqual([testKey(1)]);

    // Between the plan and its command: the old session's removal is finished by a retry, and
    // the same key connects again, for another device, with another address.
    expect((await h.gql(DEACTIVATE, { userId: 1, deviceId: 1 })).body.data.deactivateDevice).toBe(true);
    await h.gql(ACTIVATE, { userId: 2, deviceId: 1 });
    const fresh = (await h.gql(CONNECT, { userId: 2, deviceId: 1, publicKey: testKey(1) })).body.data.connectDevice;
    expect(h.runner.peers.get(testKey(1))?.allowedIps).toBe(fresh.allowedIps);

    const outcome = await applyPlan({ registry: h.registry, peers: h.agent.peers, now: () => T0, idleTimeoutS: 0 }, plan, counts());
    expect(outcome.error).toBeNull();
    expect(h.runner.peers.get(testKey(1))?.allowedIps).toBe(fresh.allowedIps);
    expect(h.registry.sessions.get(Number(fresh.id))?.status).toBe('ACTIVE');
  });

  it('keeps the peer of a fresh connect of a key the pass planned to end as idle', async () => {
    let clock = T0;
    const h = createHarness({ now: () => clock, env: { WGNODE_IDLE_TIMEOUT_S: '60' } });
    await seedDevice(h, 1, 1, [testKey(1)]);
    clock = T0 + 120_000;
    const dump = await h.wireguard.dump();
    const plan = planReconcile(dump.peers, h.registry.sessions.liveActivity(), { staticPeers: new Set(), now: clock, idleTimeoutS: 60 });
    expect(plan.idle.map((s) => s.publicKey)).toEqual([testKey(1)]);

    // The user disconnects and connects the same key again before the pass acts.
    await h.gql(DISCONNECT, { userId: 1, deviceId: 1 });
    const fresh = (await h.gql(CONNECT, { userId: 1, deviceId: 1, publicKey: testKey(1) })).body.data.connectDevice;

    const c = counts();
    await applyPlan({ registry: h.registry, peers: h.agent.peers, now: () => clock, idleTimeoutS: 60 }, plan, c);
    expect(c.endedIdleSessions).toBe(0);
    expect(h.runner.peers.get(testKey(1))?.allowedIps).toBe(fresh.allowedIps);
    expect(h.registry.sessions.get(Number(fresh.id))?.status).toBe('ACTIVE');
  });
});

describe('reconciler: enforcement never waits on bookkeeping', () => {
  it('removes, restores and finishes even when writing handshakes fails, and reports the failure', async () => {
    const h = createHarness({ now: () => T0 });
    await seedDevice(h, 1, 1, [testKey(1)]); // will have a new handshake to record
    await seedDevice(h, 2, 1, [testKey(2)]); // its peer goes missing: to restore
    await seedDevice(h, 3, 1, [testKey(3)]); // ENDING with its peer still there: to finish
    await endingWithPeer(h, 3);
    h.runner.peers.get(testKey(1))!.latestHandshake = (T0 - 5_000) / 1000;
    h.runner.peers.delete(testKey(2));
    h.runner.peers.set(testKey(9), { allowedIps: '10.64.9.9/32', latestHandshake: 0, rxBytes: 0, txBytes: 0 }); // unknown
    vi.spyOn(h.registry.sessions, 'recordHandshakes').mockImplementation(() => {
      throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    });

    const report = await h.agent.reconciler.runOnce();
    expect(report).toMatchObject({ ok: true, removedUnknownPeers: 1, restoredPeers: 1, finishedIntents: 1, handshakesRecorded: 0 });
    expect(report.bookkeepingError).toMatch(/disk is full/);
    expect([...h.runner.peers.keys()].sort()).toEqual([testKey(1), testKey(2)].sort());
    expect(h.registry.sessions.liveByKey(testKey(3))).toBeUndefined();
    const res = await h.gql('{ reconcileReport { ok bookkeepingError } }');
    expect(res.body.data.reconcileReport).toEqual({ ok: true, bookkeepingError: report.bookkeepingError });
  });
});

// The reconciler against the fake runner: every repair direction, the audit rows, the idle
// timeout, the two races of a pass with concurrent mutations, and single-flight.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { createReconciler } from '../../src/reconcile/reconciler.js';
import { silentLogger } from '../../src/logger.js';
import { createHarness, DEACTIVATE, DISCONNECT, seedDevice, type Harness } from '../support/harness.js';
import { testKey } from '../support/keys.js';

const T0 = Date.parse('2026-11-23T12:00:00Z');
let clock: number;
let h: Harness;

function harness(env: Record<string, string> = {}): Harness {
  clock = T0;
  return createHarness({ env, now: () => clock });
}

const statusOf = (id: string) => h.registry.sessions.get(Number(id))?.status;
const reconcilerAudit = () =>
  h.registry.audit.list({}, 100, null).filter((r) => r.actor === 'reconciler').map((r) => ({ action: r.action, sessionId: r.sessionId, outcome: r.outcome, detail: r.detail }));

/** Resolves the returned gate to let a held call go on. */
function gate() {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

beforeEach(() => {
  h = harness();
});

describe('reconciler: peers that must go', () => {
  it('finishes a revocation whose wg call failed: the peer goes, the sessions become ENDED, audited', async () => {
    const [id] = await seedDevice(h, 1, 1, [testKey(1)]);
    h.runner.failWhen = (argv) => argv.includes('set');
    const res = await h.gql(DEACTIVATE, { userId: 1, deviceId: 1 });
    expect(res.status).toBe(503);
    expect(res.body.errors[0].extensions.code).toBe('REMOVAL_PENDING');
    expect(h.registry.devices.get(1, 1)?.status).toBe('DEACTIVATED');
    expect(statusOf(id!)).toBe('ENDING');
    expect(h.runner.peers.has(testKey(1))).toBe(true);

    // While wg keeps failing the intent stays, and the pass says why.
    const failed = await h.agent.reconciler.runOnce();
    expect(failed).toMatchObject({ ok: false, finishedIntents: 0 });
    expect(failed.error).toContain('simulated failure');
    expect(statusOf(id!)).toBe('ENDING');

    h.runner.failWhen = null;
    const report = await h.agent.reconciler.runOnce();
    expect(report).toMatchObject({ ok: true, error: null, finishedIntents: 1, removedUnknownPeers: 0, restoredPeers: 0, peersOnInterface: 1 });
    expect(h.runner.peers.size).toBe(0);
    expect(statusOf(id!)).toBe('ENDED');
    expect(reconcilerAudit()).toEqual([{ action: 'finish-removal', sessionId: Number(id), outcome: 'ok', detail: null }]);
  });

  it('removes an ENDING session\'s key even when the dump does not show it (a timed-out add may land later)', async () => {
    const [id] = await seedDevice(h, 1, 1, [testKey(1)]);
    h.registry.transaction(() => h.registry.sessions.markEnding([Number(id)], { now: clock, reason: null, by: 'test' }));
    h.runner.peers.clear();
    h.runner.calls.length = 0;
    const report = await h.agent.reconciler.runOnce();
    expect(report.finishedIntents).toBe(1);
    expect(h.runner.setCalls()).toEqual([['wg', 'set', 'wg0', 'peer', testKey(1), 'remove']]);
    expect(statusOf(id!)).toBe('ENDED');
  });

  it('removes a peer that no live session owns and audits it, but leaves static peers alone', async () => {
    h = harness({ WGNODE_STATIC_PEERS: testKey(90) });
    await seedDevice(h, 1, 1, [testKey(1)]);
    for (const key of [testKey(90), testKey(91)]) h.runner.peers.set(key, { allowedIps: '10.99.0.1/32', latestHandshake: 0, rxBytes: 0, txBytes: 0 });

    const report = await h.agent.reconciler.runOnce();
    expect(report).toMatchObject({ ok: true, removedUnknownPeers: 1, peersOnInterface: 3 });
    expect([...h.runner.peers.keys()].sort()).toEqual([testKey(1), testKey(90)].sort());
    expect(reconcilerAudit()).toEqual([
      { action: 'remove-unknown-peer', sessionId: null, outcome: 'ok', detail: JSON.stringify({ publicKey: testKey(91) }) },
    ]);
  });

  it('removes the peer of an ENDED session that came back (it is unknown to the live registry)', async () => {
    await seedDevice(h, 1, 1, [testKey(1)]);
    expect((await h.gql(DISCONNECT, { userId: 1, deviceId: 1 })).status).toBe(200);
    h.runner.peers.set(testKey(1), { allowedIps: '10.64.0.2/32', latestHandshake: 0, rxBytes: 0, txBytes: 0 });
    expect((await h.agent.reconciler.runOnce()).removedUnknownPeers).toBe(1);
    expect(h.runner.peers.size).toBe(0);
  });
});

describe('durable intent: a process that dies mid-revocation', () => {
  // Died before or during its wg call (the peer is still there), or after it (gone, but not yet recorded ENDED).
  for (const moment of ['before the peer was removed', 'after the peer was removed'] as const) {
    it(`leaves an intent the next process finishes (died ${moment})`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'wgnode-intent-'));
      try {
        const env = { WGNODE_DB: join(dir, 'wgnode.db') };
        const first = harness(env);
        const [id] = await seedDevice(first, 1, 1, [testKey(1)]);
        // The wg call never answers: the "process" is abandoned at this point, as kill -9 would.
        first.runner.delay = () => new Promise(() => {});
        void first.gql(DEACTIVATE, { userId: 1, deviceId: 1 });
        while (first.runner.setCalls().length < 2) await new Promise((r) => setTimeout(r, 1));
        const applied = moment === 'after the peer was removed';
        first.agent.registry.close();

        // The next process: the interface kept the peer unless the call went through before the death.
        const next = harness(env);
        if (!applied) next.runner.peers.set(testKey(1), { allowedIps: '10.64.0.2/32', latestHandshake: 0, rxBytes: 0, txBytes: 0 });
        expect(next.registry.devices.get(1, 1)?.status).toBe('DEACTIVATED');
        expect(next.registry.sessions.get(Number(id))?.status).toBe('ENDING');
        expect(await next.agent.reconciler.runOnce()).toMatchObject({ ok: true, finishedIntents: 1 });
        expect(next.runner.peers.size).toBe(0);
        expect(next.registry.sessions.get(Number(id))?.status).toBe('ENDED');
        await next.agent.stop();
      } finally {
        // The abandoned first process's WAL checkpointer (a worker thread) may still be writing there.
        rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
      }
    });
  }
});

describe('reconciler: peers that must be there', () => {
  it('restores every ACTIVE session\'s peer with its /32 after an interface restart, and no ENDED one', async () => {
    const [a, b] = await seedDevice(h, 1, 1, [testKey(1), testKey(2)]);
    await seedDevice(h, 1, 2, [testKey(3)]);
    await h.gql(DISCONNECT, { userId: 1, deviceId: 2 });
    h.runner.peers.clear(); // the interface came back empty

    const report = await h.agent.reconciler.runOnce();
    expect(report).toMatchObject({ ok: true, restoredPeers: 2, peersOnInterface: 0 });
    expect(Object.fromEntries([...h.runner.peers].map(([k, p]) => [k, p.allowedIps]))).toEqual({
      [testKey(1)]: '10.64.0.2/32',
      [testKey(2)]: '10.64.0.3/32',
    });
    expect(reconcilerAudit().map((r) => [r.action, r.sessionId]).sort()).toEqual([
      ['restore-peer', Number(a)],
      ['restore-peer', Number(b)],
    ]);
    // Converged: the next pass repairs nothing.
    expect(await h.agent.reconciler.runOnce()).toMatchObject({ restoredPeers: 0, removedUnknownPeers: 0, finishedIntents: 0 });
  });

  it('puts back the allowed-ips of a peer someone widened by hand', async () => {
    await seedDevice(h, 1, 1, [testKey(1)]);
    h.runner.peers.get(testKey(1))!.allowedIps = '10.64.0.2/32,0.0.0.0/0';
    expect((await h.agent.reconciler.runOnce()).restoredPeers).toBe(1);
    expect(h.runner.peers.get(testKey(1))!.allowedIps).toBe('10.64.0.2/32');
  });
});

describe('reconciler: a pass with many repairs', () => {
  it('records them in short transactions: requests are served between the slices, and every repair is recorded', async () => {
    const n = 300; // over one slice of records in each direction
    h = harness({ WGNODE_MAX_UNKNOWN_REMOVALS: String(n) });
    await seedDevice(h, 1, 1, Array.from({ length: n }, (_, i) => testKey(i + 1)));
    h.runner.peers.clear(); // every session's peer is missing...
    for (let i = 0; i < n; i++) h.runner.peers.set(testKey(1000 + i), { allowedIps: '10.99.0.1/32', latestHandshake: 0, rxBytes: 0, txBytes: 0 }); // ...and strangers are there

    // A turn of the event loop (what a request gets) sees how many of each repair are recorded.
    const recorded = (action: string) => h.registry.audit.count({ action });
    const seen: Array<[removed: number, restored: number]> = [];
    let probing = true;
    const probe = () => {
      seen.push([recorded('remove-unknown-peer'), recorded('restore-peer')]);
      if (probing) setImmediate(probe);
    };
    setImmediate(probe);
    const report = await h.agent.reconciler.runOnce();
    probing = false;

    expect(report).toMatchObject({ ok: true, removedUnknownPeers: n, restoredPeers: n });
    expect([recorded('remove-unknown-peer'), recorded('restore-peer')]).toEqual([n, n]);
    // Some turn of the loop came between the first slice of each and the last.
    expect(seen.some(([removed]) => removed > 0 && removed < n)).toBe(true);
    expect(seen.some(([, restored]) => restored > 0 && restored < n)).toBe(true);
  });
});

describe('reconciler: handshakes and idle sessions', () => {
  const SESSION = `query ($id: ID!) { session(id: $id) { online lastHandshakeAt rxBytes txBytes } }`;

  it('records the wire\'s handshake and bytes, so online is true to it, and writes only changed rows', async () => {
    const [id] = await seedDevice(h, 1, 1, [testKey(1)]);
    await seedDevice(h, 1, 2, [testKey(2)]);
    Object.assign(h.runner.peers.get(testKey(1))!, { latestHandshake: T0 / 1000 - 10, rxBytes: 1000, txBytes: 2000 });

    expect((await h.agent.reconciler.runOnce()).handshakesRecorded).toBe(1);
    expect((await h.gql(SESSION, { id })).body.data.session).toEqual({
      online: true,
      lastHandshakeAt: new Date(T0 - 10_000).toISOString(),
      rxBytes: 1000,
      txBytes: 2000,
    });
    expect((await h.agent.reconciler.runOnce()).handshakesRecorded).toBe(0);

    clock = T0 + 181_000; // past the 180 s online window
    expect((await h.gql(SESSION, { id })).body.data.session.online).toBe(false);
  });

  it('keeps the last handshake it saw when the peer was re-added (the wire then says 0)', async () => {
    const [id] = await seedDevice(h, 1, 1, [testKey(1)]);
    Object.assign(h.runner.peers.get(testKey(1))!, { latestHandshake: T0 / 1000 - 10, rxBytes: 5, txBytes: 6 });
    await h.agent.reconciler.runOnce();
    h.runner.peers.clear();
    await h.agent.reconciler.runOnce(); // restores it, handshake 0
    await h.agent.reconciler.runOnce();
    expect(h.registry.sessions.get(Number(id))?.lastHandshakeAt).toBe(T0 - 10_000);
  });

  it('ends sessions idle longer than WGNODE_IDLE_TIMEOUT_S (counting from the start when they never handshook)', async () => {
    h = harness({ WGNODE_IDLE_TIMEOUT_S: '60' });
    const [quiet] = await seedDevice(h, 1, 1, [testKey(1)]);
    const [talking] = await seedDevice(h, 1, 2, [testKey(2)]);
    clock = T0 + 59_000;
    expect((await h.agent.reconciler.runOnce()).endedIdleSessions).toBe(0);

    h.runner.peers.get(testKey(2))!.latestHandshake = (T0 + 30_000) / 1000;
    clock = T0 + 61_000;
    const report = await h.agent.reconciler.runOnce();
    expect(report).toMatchObject({ ok: true, endedIdleSessions: 1, finishedIntents: 0 });
    expect(statusOf(quiet!)).toBe('ENDED');
    expect(h.registry.sessions.get(Number(quiet))?.endReason).toBe('idle for more than 60 s');
    expect(statusOf(talking!)).toBe('ACTIVE');
    expect([...h.runner.peers.keys()]).toEqual([testKey(2)]);
    expect(reconcilerAudit().filter((r) => r.action === 'end-idle')).toEqual([
      { action: 'end-idle', sessionId: Number(quiet), outcome: 'ok', detail: null },
    ]);

    clock = T0 + 91_000; // 61 s after the talking session's handshake
    expect((await h.agent.reconciler.runOnce()).endedIdleSessions).toBe(1);
    expect(statusOf(talking!)).toBe('ENDED');
  });

  it('never ends sessions for idleness by default', async () => {
    const [id] = await seedDevice(h, 1, 1, [testKey(1)]);
    clock = T0 + 365 * 86_400_000;
    expect((await h.agent.reconciler.runOnce()).endedIdleSessions).toBe(0);
    expect(statusOf(id!)).toBe('ACTIVE');
  });
});

describe('reconciler: races with concurrent mutations', () => {
  it('reads the dump before the registry: a peer connected while the dump is taken is not "unknown"', async () => {
    await seedDevice(h, 1, 1, []);
    const held = gate();
    h.runner.delay = async () => {
      if (h.runner.calls.at(-1)?.includes('dump')) await held.promise;
    };
    const pass = h.agent.reconciler.runOnce();
    await new Promise((r) => setTimeout(r, 5));
    // The connect commits its session and adds its peer while the dump call is in flight.
    const connected = await h.gql(`mutation { connectDevice(userId: 1, deviceId: 1, publicKey: "${testKey(1)}") { id } }`);
    expect(connected.status).toBe(200);
    held.open();
    const report = await pass;
    expect(report.removedUnknownPeers).toBe(0);
    expect(h.runner.peers.has(testKey(1))).toBe(true);
    expect(statusOf(connected.body.data.connectDevice.id)).toBe('ACTIVE');
  });

  it('takes a restored peer out again when a disconnect ended its session meanwhile', async () => {
    const [id] = await seedDevice(h, 1, 1, [testKey(1)]);
    h.runner.peers.clear();
    const held = gate();
    let holding = false;
    // The reconciler's own PeerChanges, holding its add until the disconnect has fully answered.
    const reconciler = createReconciler({
      registry: h.registry,
      wireguard: h.wireguard,
      peers: {
        addPeers: async (peers) => {
          holding = true;
          await held.promise;
          return h.agent.peers.addPeers(peers);
        },
        removePeers: (keys) => h.agent.peers.removePeers(keys),
        changePeers: (changes) => h.agent.peers.changePeers(changes),
      },
      log: silentLogger,
      staticPeers: new Set(),
      intervalMs: 1000,
      onlineWindowS: 180,
      idleTimeoutS: 0,
      now: () => clock,
    });
    const pass = reconciler.runOnce();
    while (!holding) await new Promise((r) => setTimeout(r, 1));
    expect((await h.gql(DISCONNECT, { userId: 1, deviceId: 1 })).body).toEqual({ data: { disconnectByUserIdAndDeviceId: true } });
    expect(statusOf(id!)).toBe('ENDED');
    held.open();
    const report = await pass;
    expect(report).toMatchObject({ ok: true, restoredPeers: 0 });
    expect(h.runner.peers.size).toBe(0);
  });

  it('does not put back the peer of a session a disconnect ended while the pass was busy', async () => {
    const [id] = await seedDevice(h, 1, 1, [testKey(1)]);
    h.runner.peers.delete(testKey(1)); // to restore...
    h.runner.peers.set(testKey(9), { allowedIps: '10.9.9.9/32', latestHandshake: 0, rxBytes: 0, txBytes: 0 }); // ...after this removal
    const held = gate();
    let holding = false;
    h.runner.delay = async () => {
      const argv = h.runner.calls.at(-1)!;
      if (argv.includes(testKey(9)) && argv.includes('remove')) {
        holding = true;
        await held.promise;
      }
    };
    h.runner.calls.length = 0;
    const pass = h.agent.reconciler.runOnce();
    while (!holding) await new Promise((r) => setTimeout(r, 1));
    const disconnect = h.gql(DISCONNECT, { userId: 1, deviceId: 1 });
    while (statusOf(id!) === 'ACTIVE') await new Promise((r) => setTimeout(r, 1));
    held.open();
    expect((await disconnect).body).toEqual({ data: { disconnectByUserIdAndDeviceId: true } });
    expect(await pass).toMatchObject({ ok: true, removedUnknownPeers: 1, restoredPeers: 0 });
    expect(h.runner.setCalls().some((argv) => argv.includes(testKey(1)) && argv.includes('allowed-ips'))).toBe(false);
    expect(h.runner.peers.size).toBe(0);
  });

  it('is single-flight: calls during a pass share one queued follow-up pass', async () => {
    const held = gate();
    h.runner.delay = async () => {
      if (h.runner.calls.at(-1)?.includes('dump')) await held.promise;
    };
    const dumps = () => h.runner.calls.filter((argv) => argv.includes('dump')).length;
    const first = h.agent.reconciler.runOnce();
    const second = h.agent.reconciler.runOnce();
    const third = h.agent.reconciler.runOnce();
    await new Promise((r) => setTimeout(r, 5));
    expect(dumps()).toBe(1);
    expect(second).toBe(third);
    held.open();
    await Promise.all([first, second, third]);
    expect(dumps()).toBe(2);
  });
});

describe('reconciler: schedule', () => {
  it('runs a pass at start, then one per interval, and none after stop', async () => {
    const dumps = () => h.runner.calls.filter((argv) => argv.includes('dump')).length;
    const reconciler = createReconciler({
      registry: h.registry,
      wireguard: h.wireguard,
      peers: h.agent.peers,
      log: silentLogger,
      staticPeers: new Set(),
      intervalMs: 20,
      onlineWindowS: 180,
      idleTimeoutS: 0,
    });
    const first = await reconciler.start();
    expect(first.ok).toBe(true);
    expect(dumps()).toBe(1);
    await reconciler.start(); // a second start does not begin a second schedule
    await new Promise((r) => setTimeout(r, 150));
    const whileRunning = dumps();
    expect(whileRunning).toBeGreaterThanOrEqual(3);
    expect(whileRunning).toBeLessThan(15);
    await reconciler.stop();
    const stoppedAt = dumps();
    await new Promise((r) => setTimeout(r, 80));
    expect(dumps()).toBe(stoppedAt);
  });
});

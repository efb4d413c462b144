// Never wipe a live node by accident: a registry that does not own the interface leaves unknown
// peers alone until the operator adopts or purges them; an owned interface never loses more
// unknown peers in one pass than WGNODE_MAX_UNKNOWN_REMOVALS; a restored backup removes the peers
// of sessions created after it (audited), under the same guard. Fake runner, composed agent.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { decideUnknownPeers } from '../../src/reconcile/ownership.js';
import { createReconciler } from '../../src/reconcile/reconciler.js';
import { REPORT_STATE_KEY } from '../../src/reconcile/report.js';
import { createHarness, DEACTIVATE, READ_TOKEN, seedDevice, type Harness, type HarnessOptions } from '../support/harness.js';
import { testKey } from '../support/keys.js';
import { sampleValue } from '../support/prometheus.js';

const T0 = Date.parse('2026-11-23T12:00:00Z');
const harnesses: Harness[] = [];
const dirs: string[] = [];

function harness(options: HarnessOptions = {}): Harness {
  const h = createHarness({ now: () => T0, ...options });
  harnesses.push(h);
  return h;
}

afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.agent.stop();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function addPeers(h: Harness, from: number, count: number): string[] {
  const keys: string[] = [];
  for (let i = from; i < from + count; i++) {
    keys.push(testKey(i));
    h.runner.peers.set(testKey(i), { allowedIps: `10.99.${Math.floor(i / 250)}.${(i % 250) + 1}/32`, latestHandshake: 0, rxBytes: 0, txBytes: 0 });
  }
  return keys;
}

const onInterface = (h: Harness) => [...h.runner.peers.keys()].sort();
const auditOf = (h: Harness, action: string) => h.registry.audit.list({ action }, 1000, null).map((r) => ({ actor: r.actor, detail: r.detail }));

async function readyz(h: Harness) {
  const res = await h.app.request('/readyz');
  return { status: res.status, body: (await res.json()) as { checks: Record<string, { ok: boolean; detail?: string }> } };
}

async function metric(h: Harness, name: string) {
  const res = await h.app.request('/metrics', { headers: { authorization: `Bearer ${READ_TOKEN}` } });
  return sampleValue(await res.text(), name);
}

const ADOPT = `mutation { adoptUnmanagedPeers { ok adoptedPeers interfaceOwned unmanagedPeers } }`;
const PURGE = `mutation ($confirm: Boolean!) { purgeUnmanagedPeers(confirm: $confirm) { ok removedUnknownPeers interfaceOwned } }`;

describe('the rule (pure)', () => {
  const decide = (unknown: number, owned: boolean, max: number | null, order: 'adopt' | 'purge' | null = null) =>
    decideUnknownPeers({ unknownKeys: Array.from({ length: unknown }, (_, i) => testKey(i)), owned, maxUnknownRemovals: max, order: order && { kind: order, actor: 'local' } });

  it('removes unknown peers only on an owned interface and within the limit', () => {
    expect(decide(3, true, 3)).toMatchObject({ remove: [testKey(0), testKey(1), testKey(2)], unmanaged: 0, massHeld: 0, takeOverBy: null });
    expect(decide(4, true, 3)).toMatchObject({ remove: [], massHeld: 4 });
    expect(decide(1, true, 0)).toMatchObject({ remove: [], massHeld: 1 });
    expect(decide(500, true, null)).toMatchObject({ massHeld: 0 });
    expect(decide(500, true, null).remove).toHaveLength(500);
    expect(decide(2, false, 50)).toMatchObject({ remove: [], unmanaged: 2, takeOverBy: null });
  });

  it('takes over an interface that carries no unknown peer at once, and follows the operator\'s order whatever the counts', () => {
    expect(decide(0, false, 50)).toMatchObject({ remove: [], takeOverBy: 'reconciler' });
    expect(decide(9, false, 1, 'purge')).toMatchObject({ massHeld: 0, unmanaged: 0, takeOverBy: 'local' });
    expect(decide(9, false, 1, 'purge').remove).toHaveLength(9);
    expect(decide(9, true, 1, 'adopt')).toMatchObject({ remove: [], massHeld: 0, takeOverBy: 'local' });
    expect(decide(9, true, 1, 'adopt').keep).toHaveLength(9);
  });
});

describe('WGNODE_MAX_UNKNOWN_REMOVALS', () => {
  it('defaults to 50, takes a number or off, and refuses anything else', () => {
    expect(loadConfig({}).maxUnknownRemovals).toBe(50);
    expect(loadConfig({ WGNODE_MAX_UNKNOWN_REMOVALS: '0' }).maxUnknownRemovals).toBe(0);
    expect(loadConfig({ WGNODE_MAX_UNKNOWN_REMOVALS: 'off' }).maxUnknownRemovals).toBeNull();
    expect(() => loadConfig({ WGNODE_MAX_UNKNOWN_REMOVALS: '-1' })).toThrow(ConfigError);
    expect(() => loadConfig({ WGNODE_MAX_UNKNOWN_REMOVALS: 'many' })).toThrow(/WGNODE_MAX_UNKNOWN_REMOVALS/);
  });
});

describe('first start on a live node', () => {
  it('removes no peer it does not know, says so in the report, /readyz and the metrics, and still restores and revokes its own', async () => {
    const h = harness({ firstStart: true });
    const strangers = addPeers(h, 100, 3);
    await seedDevice(h, 1, 1, [testKey(1)]);
    await seedDevice(h, 2, 1, [testKey(2)]);
    h.runner.failWhen = (argv) => argv.includes('remove');
    await h.gql(DEACTIVATE, { userId: 2, deviceId: 1 }); // REMOVAL_PENDING: left ENDING for the pass
    h.runner.failWhen = null;
    h.runner.peers.delete(testKey(1)); // an ACTIVE session's peer to restore

    const report = await h.agent.reconciler.runOnce();
    expect(report).toMatchObject({ ok: true, interfaceOwned: false, unmanagedPeers: 3, removedUnknownPeers: 0, finishedIntents: 1, restoredPeers: 1 });
    expect(onInterface(h)).toEqual([testKey(1), ...strangers].sort());
    expect(auditOf(h, 'remove-unknown-peer')).toEqual([]);

    const ready = await readyz(h);
    expect(ready.status).toBe(503);
    expect(ready.body.checks.reconcile).toEqual({
      ok: false,
      detail: 'interface carries 3 peers this registry does not know; adopt or remove them: wgnode peers adopt | wgnode peers purge --yes',
    });
    expect(await metric(h, 'wgnode_unmanaged_peers')).toBe(3);

    // Pass after pass: still nothing removed.
    expect(await h.agent.reconciler.runOnce()).toMatchObject({ unmanagedPeers: 3, removedUnknownPeers: 0 });
    expect(onInterface(h)).toHaveLength(4);
  });

  it('takes over an interface with no peer it does not know at once; unknown peers seen later are removed', async () => {
    const h = harness({ firstStart: true, env: { WGNODE_STATIC_PEERS: testKey(90) } });
    addPeers(h, 90, 1);
    await seedDevice(h, 1, 1, [testKey(1)]);
    expect(await h.agent.reconciler.runOnce()).toMatchObject({ ok: true, interfaceOwned: true, unmanagedPeers: 0 });
    expect(auditOf(h, 'take-over-interface')).toHaveLength(1);
    expect(auditOf(h, 'take-over-interface')[0]!.actor).toBe('reconciler');
    expect((await readyz(h)).status).toBe(200);

    addPeers(h, 100, 1);
    expect(await h.agent.reconciler.runOnce()).toMatchObject({ removedUnknownPeers: 1, unmanagedPeers: 0 });
    expect(onInterface(h)).toEqual([testKey(1), testKey(90)].sort());
  });

  it('treats a registry that managed another interface (another public key) as new', async () => {
    const h = harness(); // owns the fake interface's key...
    h.runner.publicKey = 'otherInterfaceKeyAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
    addPeers(h, 100, 2);
    expect(await h.agent.reconciler.runOnce()).toMatchObject({ interfaceOwned: false, unmanagedPeers: 2, removedUnknownPeers: 0 });
    expect(onInterface(h)).toHaveLength(2);
  });

  it('adopt: keeps the peers as kept peers and takes the interface over; later unknown peers go, kept ones stay until released', async () => {
    const h = harness({ firstStart: true });
    const strangers = addPeers(h, 100, 2);
    await h.agent.reconciler.runOnce();

    const adopted = await h.gql(ADOPT);
    expect(adopted.body).toEqual({ data: { adoptUnmanagedPeers: { ok: true, adoptedPeers: 2, interfaceOwned: true, unmanagedPeers: 0 } } });
    expect(auditOf(h, 'adopt-peer').map((r) => r.actor)).toEqual(['admin-token', 'admin-token']);
    expect(auditOf(h, 'take-over-interface').map((r) => r.actor)).toEqual(['admin-token']);
    const kept = await h.gql(`{ keptPeers { publicKey allowedIps adoptedBy } }`);
    expect(kept.body.data.keptPeers.map((p: { publicKey: string }) => p.publicKey)).toEqual([...strangers].sort());
    expect((await readyz(h)).status).toBe(200);

    const intruder = addPeers(h, 200, 1);
    expect(await h.agent.reconciler.runOnce()).toMatchObject({ removedUnknownPeers: 1, unmanagedPeers: 0 });
    expect(onInterface(h)).toEqual([...strangers].sort());
    expect(onInterface(h)).not.toContain(intruder[0]);

    const released = await h.gql(`mutation ($k: [String!]!) { releaseKeptPeers(publicKeys: $k) }`, { k: [strangers[0]] });
    expect(released.body).toEqual({ data: { releaseKeptPeers: 1 } });
    expect(await h.agent.reconciler.runOnce()).toMatchObject({ removedUnknownPeers: 1 });
    expect(onInterface(h)).toEqual([strangers[1]]);
  });

  it('a session that claims a kept peer\'s key makes it that session\'s peer: it goes when the session ends', async () => {
    const h = harness({ firstStart: true });
    addPeers(h, 1, 1);
    await h.agent.reconciler.runOnce();
    await h.gql(ADOPT);
    await seedDevice(h, 1, 1, [testKey(1)]);
    expect(h.registry.ownership.keptPeers()).toEqual([]);
    await h.gql(DEACTIVATE, { userId: 1, deviceId: 1 });
    h.runner.peers.set(testKey(1), { allowedIps: '10.64.0.2/32', latestHandshake: 0, rxBytes: 0, txBytes: 0 }); // came back
    expect(await h.agent.reconciler.runOnce()).toMatchObject({ removedUnknownPeers: 1 });
    expect(onInterface(h)).toEqual([]);
  });

  it('purge: refuses without confirm, then removes every unknown peer, audited under the caller', async () => {
    const h = harness({ firstStart: true });
    const strangers = addPeers(h, 100, 3);
    await seedDevice(h, 1, 1, [testKey(1)]);
    await h.agent.reconciler.runOnce();

    const refused = await h.gql(PURGE, { confirm: false });
    expect([refused.status, refused.body.errors[0].extensions.code]).toEqual([400, 'BAD_USER_INPUT']);
    expect(onInterface(h)).toHaveLength(4);

    const purged = await h.gql(PURGE, { confirm: true });
    expect(purged.body).toEqual({ data: { purgeUnmanagedPeers: { ok: true, removedUnknownPeers: 3, interfaceOwned: true } } });
    expect(onInterface(h)).toEqual([testKey(1)]);
    expect(auditOf(h, 'purge-unmanaged-peer').map((r) => [r.actor, JSON.parse(r.detail!).publicKey]).sort()).toEqual(
      strangers.map((k) => ['admin-token', k]).sort(),
    );
    expect((await readyz(h)).status).toBe(200);
  });

  it('carries out an order given while a pass is in flight in the next pass, not in the one that started before it', async () => {
    const h = harness({ firstStart: true });
    addPeers(h, 100, 1);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let holding = false;
    h.runner.delay = async () => {
      if (h.runner.calls.at(-1)?.includes('dump') && !holding) {
        holding = true;
        await held;
      }
    };
    const inFlight = h.agent.reconciler.runOnce();
    while (!holding) await new Promise((r) => setTimeout(r, 1));
    addPeers(h, 101, 1);
    const adopted = h.gql(ADOPT);
    await new Promise((r) => setTimeout(r, 5));
    release();
    expect(await inFlight).toMatchObject({ unmanagedPeers: 2, adoptedPeers: 0, interfaceOwned: false });
    expect((await adopted).body.data.adoptUnmanagedPeers).toMatchObject({ adoptedPeers: 2, interfaceOwned: true });
    expect(h.registry.ownership.keptPeers().map((p) => p.publicKey)).toEqual([testKey(100), testKey(101)].sort());
  });

  it('answers RECONCILE_FAILED, and settles nothing, when the pass fails', async () => {
    const h = harness({ firstStart: true });
    addPeers(h, 100, 2);
    h.runner.failWhen = (argv) => argv.includes('remove');
    const purged = await h.gql(PURGE, { confirm: true });
    expect([purged.status, purged.body.errors[0].extensions.code]).toEqual([503, 'RECONCILE_FAILED']);
    expect(onInterface(h)).toHaveLength(2);
    expect(h.registry.ownership.owner()).toBeNull();
  });
});

describe('the mass-removal guard', () => {
  it('removes none of too many unknown peers, alerts, and still removes the peers of sessions the registry ended', async () => {
    const h = harness({ env: { WGNODE_MAX_UNKNOWN_REMOVALS: '3' } });
    const [ending] = await seedDevice(h, 1, 1, [testKey(1)]);
    await seedDevice(h, 2, 1, [testKey(2)]);
    h.runner.failWhen = (argv) => argv.includes('remove');
    await h.gql(DEACTIVATE, { userId: 1, deviceId: 1 });
    h.runner.failWhen = null;
    const strangers = addPeers(h, 100, 4);

    const report = await h.agent.reconciler.runOnce();
    expect(report).toMatchObject({ ok: true, interfaceOwned: true, massRemovalHeld: 4, removedUnknownPeers: 0, finishedIntents: 1 });
    expect(onInterface(h)).toEqual([testKey(2), ...strangers].sort());
    expect(h.registry.sessions.get(Number(ending))?.status).toBe('ENDED');
    const ready = await readyz(h);
    expect(ready.status).toBe(503);
    expect(ready.body.checks.reconcile!.detail).toBe(
      'one reconcile pass would remove 4 unknown peers, more than WGNODE_MAX_UNKNOWN_REMOVALS allows; nothing removed: wgnode peers purge --yes removes them, wgnode peers adopt keeps them',
    );
    expect(await metric(h, 'wgnode_mass_removal_held_peers')).toBe(4);
    const status = await h.gql(`{ reconcileReport { massRemovalHeld } }`, {}, READ_TOKEN);
    expect(status.body.data.reconcileReport.massRemovalHeld).toBe(4);

    // The count drops to the limit (one left by itself): the rest go, without the operator.
    h.runner.peers.delete(strangers[0]!);
    expect(await h.agent.reconciler.runOnce()).toMatchObject({ massRemovalHeld: 0, removedUnknownPeers: 3 });
    expect(onInterface(h)).toEqual([testKey(2)]);
    expect(await metric(h, 'wgnode_mass_removal_held_peers')).toBe(0);
    expect((await readyz(h)).status).toBe(200);
  });

  it('waits for purge --yes, which removes them all', async () => {
    const h = harness({ env: { WGNODE_MAX_UNKNOWN_REMOVALS: '2' } });
    addPeers(h, 100, 5);
    expect(await h.agent.reconciler.runOnce()).toMatchObject({ massRemovalHeld: 5 });
    expect(await h.agent.reconciler.runOnce()).toMatchObject({ massRemovalHeld: 5, removedUnknownPeers: 0 });
    expect((await h.gql(PURGE, { confirm: true })).body.data.purgeUnmanagedPeers).toMatchObject({ removedUnknownPeers: 5 });
    expect(onInterface(h)).toEqual([]);
  });

  it('is off with off: any number of unknown peers goes in one pass', async () => {
    const h = harness({ env: { WGNODE_MAX_UNKNOWN_REMOVALS: 'off' } });
    addPeers(h, 100, 120);
    expect(await h.agent.reconciler.runOnce()).toMatchObject({ massRemovalHeld: 0, removedUnknownPeers: 120 });
    expect(onInterface(h)).toEqual([]);
  });
});

describe('restoring a backup', () => {
  it('keeps the identity; peers of sessions created after the backup are removed and audited, within the guard', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wgnode-restore-'));
    dirs.push(dir);
    const db = join(dir, 'wgnode.db');
    const backup = join(dir, 'backup.db');
    const before = harness({ env: { WGNODE_DB: db } });
    await seedDevice(before, 1, 1, [testKey(1)]);
    const registryId = before.registry.identity();
    const snapshot = await before.registry.snapshot();
    copyFileSync(snapshot.path, backup);
    await snapshot.remove();
    const [laterA, laterB] = await seedDevice(before, 2, 1, [testKey(2), testKey(3)]);
    await before.agent.stop();

    // Restore: the agent is stopped, the backup replaces the registry file, the agent starts.
    for (const suffix of ['-wal', '-shm']) rmSync(db + suffix, { force: true });
    copyFileSync(backup, db);
    const after = harness({ env: { WGNODE_DB: db }, firstStart: true }); // ownership comes from the backup
    addPeers(after, 1, 3); // the interface still carries all three peers
    expect(after.registry.identity()).toBe(registryId);
    expect(after.registry.ownership.owner()?.registryId).toBe(registryId);

    expect(await after.agent.reconciler.runOnce()).toMatchObject({ ok: true, interfaceOwned: true, removedUnknownPeers: 2, unmanagedPeers: 0 });
    expect(onInterface(after)).toEqual([testKey(1)]);
    expect(auditOf(after, 'remove-unknown-peer').map((r) => [r.actor, JSON.parse(r.detail!).publicKey]).sort()).toEqual([
      ['reconciler', testKey(2)],
      ['reconciler', testKey(3)],
    ]);
    for (const id of [laterA, laterB]) expect((await after.gql(`query ($id: ID!) { session(id: $id) { id } }`, { id })).body.data.session).toBeNull();
    const node = await after.gql(`{ node { registryId } }`, {}, READ_TOKEN);
    expect(node.body.data.node.registryId).toBe(registryId);
  });

  it('holds the removals when more sessions were created after the backup than the guard allows', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wgnode-restore-'));
    dirs.push(dir);
    const db = join(dir, 'wgnode.db');
    const first = harness({ env: { WGNODE_DB: db } });
    await seedDevice(first, 1, 1, [testKey(1)]);
    const snapshot = await first.registry.snapshot();
    const backup = join(dir, 'backup.db');
    copyFileSync(snapshot.path, backup);
    await snapshot.remove();
    await first.agent.stop();
    copyFileSync(backup, db);
    for (const suffix of ['-wal', '-shm']) rmSync(db + suffix, { force: true });

    const after = harness({ env: { WGNODE_DB: db, WGNODE_MAX_UNKNOWN_REMOVALS: '2' }, firstStart: true });
    addPeers(after, 1, 1);
    addPeers(after, 100, 3); // three later sessions' peers
    expect(await after.agent.reconciler.runOnce()).toMatchObject({ interfaceOwned: true, massRemovalHeld: 3, removedUnknownPeers: 0 });
    expect(onInterface(after)).toHaveLength(4);
  });
});

describe('the persisted report', () => {
  it('fills the fields an older wgnode did not store with their zero values', () => {
    const h = harness();
    const old = { at: '2026-11-23T11:00:00.000Z', durationMs: 1, ok: true, error: null, peersOnInterface: 0, removedUnknownPeers: 0, finishedIntents: 0, restoredPeers: 0, endedIdleSessions: 0, handshakesRecorded: 0 };
    h.registry.state.putJson(REPORT_STATE_KEY, old);
    // The next process's reconciler reads it at creation.
    const reconciler = createReconciler({ registry: h.registry, wireguard: h.wireguard, peers: h.agent.peers, log: h.agent.log, staticPeers: new Set(), intervalMs: 1000, onlineWindowS: 180, idleTimeoutS: 0 });
    expect(reconciler.lastReport()).toMatchObject({ ...old, unmanagedPeers: 0, massRemovalHeld: 0, adoptedPeers: 0, interfaceOwned: false });
  });
});

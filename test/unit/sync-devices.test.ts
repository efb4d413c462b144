import { describe, expect, it, vi } from 'vitest';
import { MAX_SYNC_ITEMS } from '../../src/sessions/index.js';
import { SYNC_BATCH } from '../../src/sessions/sync.js';
import { createHarness, DEACTIVATE, READ_TOKEN, seedDevice, type Harness } from '../support/harness.js';
import { testKey } from '../support/keys.js';
import { auditRows, sessionRows } from '../support/registry-rows.js';

const SYNC = `mutation ($items: [DeviceStateInput!]!, $complete: Boolean, $reason: String) {
  syncDevices(items: $items, complete: $complete, reason: $reason) {
    items { userId deviceId ok changed code message }
    unlisted { userId deviceId ok changed code message }
  }
}`;

type Status = 'ACTIVE' | 'DEACTIVATED';
const item = (userId: number, deviceId: number, status: Status) => ({ userId, deviceId, status });
const ok = (userId: number, deviceId: number, changed: boolean) => ({ userId, deviceId, ok: true, changed, code: null, message: null });

async function seeded(env?: Record<string, string>): Promise<Harness> {
  const h = createHarness({ env });
  await seedDevice(h, 1, 1, [testKey(11), testKey(12)]);
  await seedDevice(h, 1, 2, [testKey(21)]);
  await seedDevice(h, 2, 1, [testKey(31)]);
  await seedDevice(h, 3, 1, []); // a device without sessions
  await seedDevice(h, 4, 1, []);
  await h.gql(DEACTIVATE, { userId: 4, deviceId: 1 }); // a deactivated device
  h.runner.calls.length = 0;
  return h;
}

const statusOf = (h: Harness, key: string) => sessionRows(h.registry).filter((s) => s.publicKey === key).at(-1)?.status;
const deviceStatus = (h: Harness, userId: number, deviceId: number) => h.registry.devices.get(userId, deviceId)?.status;

describe('syncDevices', () => {
  it('changes only what differs from the list, removing the peers of deactivated devices in one wg call', async () => {
    const h = await seeded();
    const auditBefore = auditRows(h.registry).length;
    const res = await h.gql(SYNC, {
      items: [
        item(1, 1, 'DEACTIVATED'), // active with two sessions
        item(1, 2, 'ACTIVE'), // already active
        item(4, 1, 'ACTIVE'), // deactivated: reactivated
        item(5, 1, 'ACTIVE'), // unknown: created, as activateDevice does
        item(6, 1, 'DEACTIVATED'), // unknown: not active either, nothing to do
        item(0, 1, 'ACTIVE'), // invalid id: fails alone
      ],
      reason: 'resync',
    });
    expect(res.status).toBe(200);
    expect(res.body.data.syncDevices).toEqual({
      items: [
        ok(1, 1, true),
        ok(1, 2, false),
        ok(4, 1, true),
        ok(5, 1, true),
        ok(6, 1, false),
        { userId: 0, deviceId: 1, ok: false, changed: false, code: 'BAD_USER_INPUT', message: 'userId must be a positive integer' },
      ],
      unlisted: [],
    });
    expect(h.runner.setCalls()).toEqual([['wg', 'set', 'wg0', 'peer', testKey(11), 'remove', 'peer', testKey(12), 'remove']]);
    expect(statusOf(h, testKey(11))).toBe('ENDED');
    expect(statusOf(h, testKey(12))).toBe('ENDED');
    expect(deviceStatus(h, 1, 1)).toBe('DEACTIVATED');
    expect(h.registry.devices.get(1, 1)?.deactivationReason).toBe('resync');
    expect(deviceStatus(h, 4, 1)).toBe('ACTIVE');
    expect(deviceStatus(h, 5, 1)).toBe('ACTIVE');
    expect(deviceStatus(h, 6, 1)).toBeUndefined();
    // One row per changed device, and one for the call.
    const sinceSeed = auditRows(h.registry).slice(auditBefore);
    expect(sinceSeed.map(({ action, userId, deviceId, outcome }) => ({ action, userId, deviceId, outcome }))).toEqual([
      { action: 'deactivate', userId: 1, deviceId: 1, outcome: 'ok' },
      { action: 'activate', userId: 4, deviceId: 1, outcome: 'ok' },
      { action: 'activate', userId: 5, deviceId: 1, outcome: 'ok' },
      { action: 'sync', userId: null, deviceId: null, outcome: 'ok' },
    ]);
    expect(JSON.parse(sinceSeed.at(-1)!.detail!)).toEqual({ items: 6, changed: 3, refused: 1, pending: 0, complete: false, unlisted: 0 });
  });

  it('with complete: true deactivates every device outside the list, with the default reason', async () => {
    const h = await seeded();
    const res = await h.gql(SYNC, { items: [item(1, 1, 'ACTIVE'), item(3, 1, 'DEACTIVATED')], complete: true });
    expect(res.status).toBe(200);
    expect(res.body.data.syncDevices).toEqual({
      items: [ok(1, 1, false), ok(3, 1, true)],
      unlisted: [ok(1, 2, true), ok(2, 1, true)], // (4, 1) already deactivated: not touched
    });
    expect(h.runner.setCalls()).toEqual([['wg', 'set', 'wg0', 'peer', testKey(21), 'remove', 'peer', testKey(31), 'remove']]);
    expect([...h.runner.peers.keys()].sort()).toEqual([testKey(11), testKey(12)].sort());
    expect(h.registry.devices.get(1, 2)).toMatchObject({ status: 'DEACTIVATED', deactivationReason: "not in the control plane's list" });
    expect(h.registry.devices.get(2, 1)).toMatchObject({ status: 'DEACTIVATED', deactivationReason: "not in the control plane's list" });
    expect(h.registry.devices.get(3, 1)?.deactivationReason).toBeNull();
    expect(h.registry.devices.get(4, 1)?.deactivationReason).toBeNull();
    expect(deviceStatus(h, 1, 1)).toBe('ACTIVE');
  });

  it('applying the same list twice changes nothing the second time: no wg call, only the summary audit row', async () => {
    const h = await seeded();
    const list = { items: [item(1, 1, 'DEACTIVATED'), item(2, 1, 'ACTIVE'), item(4, 1, 'ACTIVE'), item(7, 3, 'ACTIVE')], complete: true, reason: 'restore' };
    const first = await h.gql(SYNC, list);
    expect(first.status).toBe(200);
    expect(first.body.data.syncDevices.items.map((r: { changed: boolean }) => r.changed)).toEqual([true, false, true, true]);
    const before = h.registry.contents({ except: ['audit_log'] });
    const auditBefore = auditRows(h.registry).length;
    h.runner.calls.length = 0;

    const second = await h.gql(SYNC, list);
    expect(second.status).toBe(200);
    expect(second.body.data.syncDevices).toEqual({
      items: [ok(1, 1, false), ok(2, 1, false), ok(4, 1, false), ok(7, 3, false)],
      unlisted: [],
    });
    expect(h.runner.calls.filter((argv) => argv[0] === 'wg' && argv[1] === 'set')).toEqual([]);
    expect(h.registry.contents({ except: ['audit_log'] })).toEqual(before);
    const added = auditRows(h.registry).slice(auditBefore);
    expect(added.map((r) => [r.action, r.outcome])).toEqual([['sync', 'ok']]);
  });

  it('when wg fails: REMOVAL_PENDING for that item, HTTP 503, and a retry of the same list converges', async () => {
    const h = await seeded();
    h.runner.failWhen = (argv) => argv[0] === 'wg' && argv.includes(testKey(31));
    const list = { items: [item(1, 1, 'DEACTIVATED'), item(2, 1, 'DEACTIVATED')] };
    const res = await h.gql(SYNC, list);
    expect(res.status).toBe(503);
    expect(res.body.data.syncDevices.items.map((r: { ok: boolean; changed: boolean; code: string | null }) => [r.ok, r.changed, r.code])).toEqual([
      [true, true, null],
      [false, true, 'REMOVAL_PENDING'],
    ]);
    expect(statusOf(h, testKey(31))).toBe('ENDING');
    expect(h.runner.peers.has(testKey(31))).toBe(true);
    expect(auditRows(h.registry, { action: 'sync' }).at(-1)?.outcome).toBe('pending');

    // Still failing: still 503, and the registry never claims the peer is gone.
    const again = await h.gql(SYNC, list);
    expect(again.status).toBe(503);
    expect(statusOf(h, testKey(31))).toBe('ENDING');

    h.runner.failWhen = null;
    const retry = await h.gql(SYNC, list);
    expect(retry.status).toBe(200);
    expect(retry.body.data.syncDevices.items).toEqual([ok(1, 1, false), ok(2, 1, true)]);
    expect(statusOf(h, testKey(31))).toBe('ENDED');
    expect(h.runner.peers.has(testKey(31))).toBe(false);

    h.runner.calls.length = 0;
    const settled = await h.gql(SYNC, list);
    expect(settled.body.data.syncDevices.items).toEqual([ok(1, 1, false), ok(2, 1, false)]);
    expect(h.runner.setCalls()).toEqual([]);
  });

  it('a complete sync retries unconfirmed removals outside the list too', async () => {
    const h = await seeded();
    h.runner.failWhen = (argv) => argv[0] === 'wg' && argv.includes(testKey(21));
    const list = { items: [item(1, 1, 'ACTIVE'), item(2, 1, 'ACTIVE'), item(3, 1, 'ACTIVE')], complete: true, reason: 'partition healed' };
    const res = await h.gql(SYNC, list);
    expect(res.status).toBe(503);
    expect(res.body.data.syncDevices.unlisted).toEqual([
      { userId: 1, deviceId: 2, ok: false, changed: true, code: 'REMOVAL_PENDING', message: expect.any(String) },
    ]);
    expect(deviceStatus(h, 1, 2)).toBe('DEACTIVATED');
    expect(statusOf(h, testKey(21))).toBe('ENDING');

    h.runner.failWhen = null;
    const retry = await h.gql(SYNC, list);
    expect(retry.status).toBe(200);
    expect(retry.body.data.syncDevices.unlisted).toEqual([ok(1, 2, true)]);
    expect(statusOf(h, testKey(21))).toBe('ENDED');
    expect(h.runner.peers.has(testKey(21))).toBe(false);
  });

  it('deactivates before it activates, so a list that swaps a user\'s devices stays within the device limit', async () => {
    const h = createHarness({ env: { WGNODE_MAX_DEVICES_PER_USER: '1' } });
    await seedDevice(h, 7, 1, [testKey(71)]);
    const res = await h.gql(SYNC, { items: [item(7, 2, 'ACTIVE'), item(7, 1, 'DEACTIVATED')] });
    expect(res.status).toBe(200);
    expect(res.body.data.syncDevices.items).toEqual([ok(7, 2, true), ok(7, 1, true)]);
    expect(deviceStatus(h, 7, 1)).toBe('DEACTIVATED');
    expect(deviceStatus(h, 7, 2)).toBe('ACTIVE');
  });

  it('answers an activation over the device limit per item, like activateDevice', async () => {
    const h = createHarness({ env: { WGNODE_MAX_DEVICES_PER_USER: '1' } });
    await seedDevice(h, 7, 1, []);
    const res = await h.gql(SYNC, { items: [item(7, 2, 'ACTIVE')] });
    expect(res.status).toBe(200);
    expect(res.body.data.syncDevices.items).toEqual([
      { userId: 7, deviceId: 2, ok: false, changed: false, code: 'DEVICE_LIMIT_REACHED', message: 'User already has the maximum of 1 active devices' },
    ]);
  });

  it('a device listed twice with the same status is applied once', async () => {
    const h = await seeded();
    const res = await h.gql(SYNC, { items: [item(1, 1, 'DEACTIVATED'), item(1, 1, 'DEACTIVATED')] });
    expect(res.status).toBe(200);
    expect(res.body.data.syncDevices.items).toEqual([ok(1, 1, true), ok(1, 1, false)]);
    expect(h.runner.setCalls()).toHaveLength(1);
  });

  it('sweeps a large node in bounded batches, all intents before one coalesced removal', async () => {
    const h = createHarness();
    const devices = 2 * SYNC_BATCH + 17;
    h.registry.transaction(() => {
      for (let u = 1; u <= devices; u++) {
        h.registry.devices.ensureUser(u, 0);
        h.registry.devices.insert({ userId: u, deviceId: 1, now: 0, by: 'seed' });
      }
    });
    for (let u = 1; u <= 3; u++) await h.gql(`mutation { connectDevice(userId: ${u}, deviceId: 1, publicKey: "${testKey(u)}") { id } }`);
    h.runner.calls.length = 0;
    const page = vi.spyOn(h.registry.devices, 'activeOrLivePage');

    const res = await h.gql(SYNC, { items: [item(1, 1, 'ACTIVE')], complete: true });
    expect(res.status).toBe(200);
    expect(res.body.data.syncDevices.unlisted).toHaveLength(devices - 1);
    expect(page.mock.calls.every(([, limit]) => limit === SYNC_BATCH)).toBe(true);
    expect(page.mock.calls.length).toBe(3);
    expect(h.runner.setCalls()).toEqual([['wg', 'set', 'wg0', 'peer', testKey(2), 'remove', 'peer', testKey(3), 'remove']]);
    expect(h.registry.devices.activeOrLivePage(null, devices)).toEqual([{ userId: 1, deviceId: 1 }]);
  });

  describe('refuses invalid input with 400 and changes nothing', () => {
    const refused = async (variables: Record<string, unknown>, message: RegExp, env?: Record<string, string>) => {
      const h = await seeded(env);
      const before = h.registry.contents({ except: ['audit_log'] });
      const res = await h.gql(SYNC, variables);
      expect(res.status).toBe(400);
      expect(res.body.data ?? null).toBeNull();
      expect(res.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
      expect(res.body.errors[0].message).toMatch(message);
      expect(h.registry.contents({ except: ['audit_log'] })).toEqual(before);
      expect(h.runner.calls).toEqual([]);
    };

    it(`more than ${MAX_SYNC_ITEMS} items`, async () => {
      const items = Array.from({ length: MAX_SYNC_ITEMS + 1 }, (_, i) => item(1, i + 1, 'DEACTIVATED'));
      await refused({ items }, /at most 100000/, { WGNODE_MAX_BODY_BYTES: String(16 * 1024 * 1024) });
    });

    it('the same device listed as both ACTIVE and DEACTIVATED', async () => {
      await refused({ items: [item(1, 1, 'ACTIVE'), item(2, 1, 'DEACTIVATED'), item(1, 1, 'DEACTIVATED')] }, /items\[2\].*both ACTIVE and DEACTIVATED/);
    });

    it('an invalid id in a complete list (which would otherwise deactivate everything else)', async () => {
      await refused({ items: [item(1, 1, 'ACTIVE'), item(1, -3, 'ACTIVE')], complete: true }, /items\[1\]: deviceId must be a positive integer/);
    });

    it('a reason with control characters', async () => {
      await refused({ items: [item(1, 1, 'DEACTIVATED')], reason: 'bad\u001b[2J' }, /control characters/);
    });
  });

  it('needs the admin scope', async () => {
    const h = await seeded();
    const res = await h.gql(SYNC, { items: [item(1, 1, 'DEACTIVATED')], complete: true }, READ_TOKEN);
    expect(res.status).toBe(403);
    expect(deviceStatus(h, 1, 1)).toBe('ACTIVE');
    expect(deviceStatus(h, 2, 1)).toBe('ACTIVE');
  });
});

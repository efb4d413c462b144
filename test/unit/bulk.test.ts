import { describe, expect, it, vi } from 'vitest';
import { MAX_BULK_ITEMS } from '../../src/sessions/index.js';
import { createHarness, DEACTIVATE, DISCONNECT, READ_TOKEN, seedDevice, type Harness } from '../support/harness.js';
import { testKey } from '../support/keys.js';
import { auditRows, sessionRows } from '../support/registry-rows.js';

const DEACTIVATE_MANY = `mutation ($items: [DeviceRef!]!, $reason: String) { deactivateDevices(items: $items, reason: $reason) { userId deviceId ok code message } }`;
const DISCONNECT_MANY = `mutation ($items: [DeviceRef!]!, $reason: String) { disconnectDevices(items: $items, reason: $reason) { userId deviceId ok code message } }`;

async function seeded(): Promise<Harness> {
  const h = createHarness();
  await seedDevice(h, 1, 1, [testKey(11), testKey(12)]);
  await seedDevice(h, 1, 2, [testKey(21)]);
  await seedDevice(h, 2, 1, [testKey(31)]);
  await seedDevice(h, 3, 1, []); // a device without sessions
  h.runner.calls.length = 0;
  return h;
}

const statusOf = (h: Harness, key: string) =>
  sessionRows(h.registry).filter((s) => s.publicKey === key).at(-1)?.status;

describe('deactivateDevices', () => {
  it('answers per item exactly as deactivateDevice would, with all removals in one wg set call', async () => {
    const h = await seeded();
    const res = await h.gql(DEACTIVATE_MANY, {
      items: [
        { userId: 1, deviceId: 1 },
        { userId: 9, deviceId: 1 }, // unknown user
        { userId: 2, deviceId: 1 },
        { userId: 1, deviceId: 1 }, // the same device again: already deactivated by the first item
        { userId: 1, deviceId: 7 }, // known user, unknown device
        { userId: 0, deviceId: 1 }, // invalid id
        { userId: 3, deviceId: 1 }, // no sessions: deactivated, nothing to remove
      ],
      reason: 'incident 42',
    });
    expect(res.status).toBe(200);
    const single = (code: string) => ({ ok: false, code });
    expect(res.body.data.deactivateDevices).toEqual([
      { userId: 1, deviceId: 1, ok: true, code: null, message: null },
      { userId: 9, deviceId: 1, ...single('USER_NOT_FOUND'), message: 'User not found' },
      { userId: 2, deviceId: 1, ok: true, code: null, message: null },
      { userId: 1, deviceId: 1, ...single('DEVICE_NOT_FOUND'), message: 'Device not found or already deactivated' },
      { userId: 1, deviceId: 7, ...single('DEVICE_NOT_FOUND'), message: 'Device not found or already deactivated' },
      { userId: 0, deviceId: 1, ...single('BAD_USER_INPUT'), message: 'userId must be a positive integer' },
      { userId: 3, deviceId: 1, ok: true, code: null, message: null },
    ]);
    expect(h.runner.setCalls()).toEqual([
      ['wg', 'set', 'wg0', 'peer', testKey(11), 'remove', 'peer', testKey(12), 'remove', 'peer', testKey(31), 'remove'],
    ]);
    expect([...h.runner.peers.keys()]).toEqual([testKey(21)]);
    for (const key of [testKey(11), testKey(12), testKey(31)]) expect(statusOf(h, key)).toBe('ENDED');
    expect(statusOf(h, testKey(21))).toBe('ACTIVE');
    expect(h.registry.devices.get(1, 1)?.status).toBe('DEACTIVATED');
    expect(h.registry.devices.get(1, 1)?.deactivationReason).toBe('incident 42');
    expect(h.registry.devices.get(3, 1)?.status).toBe('DEACTIVATED');
  });

  it('gives the same code and message as the single mutation for the same refusal', async () => {
    const h = await seeded();
    const bulk = await h.gql(DEACTIVATE_MANY, { items: [{ userId: 9, deviceId: 1 }] });
    const single = await h.gql(DEACTIVATE, { userId: 9, deviceId: 1 });
    const [item] = bulk.body.data.deactivateDevices;
    expect({ code: item.code, message: item.message }).toEqual({
      code: single.body.errors[0].extensions.code,
      message: single.body.errors[0].message,
    });
  });

  it('commits every intent in one transaction and settles in one more', async () => {
    const h = await seeded();
    const transaction = vi.spyOn(h.registry, 'transaction');
    await h.gql(DEACTIVATE_MANY, { items: [{ userId: 1, deviceId: 1 }, { userId: 1, deviceId: 2 }, { userId: 2, deviceId: 1 }] });
    expect(transaction).toHaveBeenCalledTimes(2);
  });

  it('when wg fails for one item, that item says REMOVAL_PENDING (rows stay ENDING), the others are confirmed, HTTP 503', async () => {
    const h = await seeded();
    h.runner.failWhen = (argv) => argv[0] === 'wg' && argv.includes(testKey(31));
    const res = await h.gql(DEACTIVATE_MANY, { items: [{ userId: 1, deviceId: 1 }, { userId: 2, deviceId: 1 }, { userId: 1, deviceId: 2 }] });
    expect(res.status).toBe(503);
    expect(res.body.data.deactivateDevices.map((r: { ok: boolean; code: string | null }) => [r.ok, r.code])).toEqual([
      [true, null],
      [false, 'REMOVAL_PENDING'],
      [true, null],
    ]);
    // One shared call that failed, then each item's removal on its own.
    expect(h.runner.setCalls()).toHaveLength(4);
    expect(statusOf(h, testKey(11))).toBe('ENDED');
    expect(statusOf(h, testKey(21))).toBe('ENDED');
    expect(statusOf(h, testKey(31))).toBe('ENDING');
    expect(h.runner.peers.has(testKey(31))).toBe(true);
    const audit = auditRows(h.registry, { action: 'deactivate' }).map(({ userId, outcome }) => ({ userId, outcome }));
    expect(audit).toEqual([
      { userId: 1, outcome: 'ok' },
      { userId: 2, outcome: 'pending' },
      { userId: 1, outcome: 'ok' },
    ]);
  });

  it(`refuses more than ${MAX_BULK_ITEMS} items with a clear error and changes nothing`, async () => {
    const h = await seeded();
    const items = Array.from({ length: MAX_BULK_ITEMS + 1 }, () => ({ userId: 1, deviceId: 1 }));
    const res = await h.gql(DEACTIVATE_MANY, { items });
    expect(res.status).toBe(400);
    expect(res.body.data).toBeNull();
    expect(res.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(res.body.errors[0].message).toMatch(/at most 10000/);
    expect(h.runner.setCalls()).toHaveLength(0);
    expect(h.registry.devices.get(1, 1)?.status).toBe('ACTIVE');
  });

  it('needs the admin scope', async () => {
    const h = await seeded();
    const res = await h.gql(DEACTIVATE_MANY, { items: [{ userId: 1, deviceId: 1 }] }, READ_TOKEN);
    expect(res.status).toBe(403);
    expect(h.registry.devices.get(1, 1)?.status).toBe('ACTIVE');
  });
});

describe('disconnectDevices', () => {
  it('ends the active sessions of each device and answers per item like disconnectByUserIdAndDeviceId', async () => {
    const h = await seeded();
    const res = await h.gql(DISCONNECT_MANY, {
      items: [
        { userId: 1, deviceId: 1 },
        { userId: 3, deviceId: 1 }, // no active session
        { userId: 8, deviceId: 8 }, // unknown
        { userId: 1, deviceId: 1 }, // already disconnected by the first item
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.data.disconnectDevices).toEqual([
      { userId: 1, deviceId: 1, ok: true, code: null, message: null },
      { userId: 3, deviceId: 1, ok: false, code: 'SESSION_NOT_FOUND', message: 'No active session found for this user and device combination' },
      { userId: 8, deviceId: 8, ok: false, code: 'NOT_FOUND', message: 'User or device not found' },
      { userId: 1, deviceId: 1, ok: false, code: 'SESSION_NOT_FOUND', message: 'No active session found for this user and device combination' },
    ]);
    expect(h.runner.setCalls()).toEqual([['wg', 'set', 'wg0', 'peer', testKey(11), 'remove', 'peer', testKey(12), 'remove']]);
    expect(h.registry.devices.get(1, 1)?.status).toBe('ACTIVE');
  });
});

describe('the agent coalesces single mutations', () => {
  it('concurrent disconnects share wg set calls and each answers true', async () => {
    const h = createHarness();
    for (let u = 1; u <= 20; u++) await seedDevice(h, u, 1, [testKey(100 + u)]);
    h.runner.calls.length = 0;
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => h.gql(DISCONNECT, { userId: i + 1, deviceId: 1 })));
    expect(answers.map((a) => a.body.data?.disconnectByUserIdAndDeviceId)).toEqual(Array(20).fill(true));
    expect(h.runner.setCalls().length).toBeLessThan(20);
    expect(h.runner.peers.size).toBe(0);
  });
});

// activateDevice and connectDevice: what is created, which peer is added, and every refusal.
import { beforeEach, describe, expect, it } from 'vitest';
import { ACTIVATE, CONNECT, createHarness, seedDevice, type Harness } from '../support/harness.js';
import { testKey } from '../support/keys.js';

let h: Harness;
beforeEach(() => {
  h = createHarness();
});

describe('activateDevice', () => {
  it('creates the user and device on first sight and is idempotent', async () => {
    const first = await h.gql(ACTIVATE, { userId: 7, deviceId: 8 });
    expect(first.status).toBe(200);
    expect(first.body.data.activateDevice).toMatchObject({ userId: 7, deviceId: 8, status: 'ACTIVE', deactivatedAt: null });
    expect(first.body.data.activateDevice.activatedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const again = await h.gql(ACTIVATE, { userId: 7, deviceId: 8 });
    expect(again.body.data.activateDevice).toEqual(first.body.data.activateDevice);
    expect(h.registry.audit.list({ action: 'activate' }, 10, null)).toHaveLength(1);
  });

  it('answers with the device as stored, created or reactivated, for a new or known user', async () => {
    const now = Date.now();
    const cases: Array<[string, () => Promise<void>]> = [
      ['new user', async () => {}],
      ['user with an active device', async () => void (await seedDevice(h, 2, 1, []))],
      ['user with only a deactivated device', async () => { await seedDevice(h, 3, 1, []); await h.gql(`mutation { deactivateDevice(userId: 3, deviceId: 1) }`); }],
    ];
    for (const [userId, [, setup]] of cases.map((c, k) => [k + 1, c] as const)) {
      await setup();
      const device = await h.service.activateDevice({ actor: 'admin', userId, deviceId: 9 });
      expect(device).toEqual(h.registry.devices.get(userId, 9));
      expect(device.activatedAt).toBeGreaterThanOrEqual(now);
    }
    await h.gql(`mutation { deactivateDevice(userId: 1, deviceId: 9, reason: "lost") }`);
    expect(await h.service.activateDevice({ actor: 'admin', userId: 1, deviceId: 9 })).toEqual(h.registry.devices.get(1, 9));
    expect(h.registry.devices.get(1, 9)).toMatchObject({ status: 'ACTIVE', deactivationReason: 'lost' });
  });

  it('reactivates a deactivated device, keeping its history', async () => {
    await seedDevice(h, 1, 2, [testKey(1)]);
    await h.gql(`mutation { deactivateDevice(userId: 1, deviceId: 2, reason: "lost phone") }`);
    const res = await h.gql(ACTIVATE, { userId: 1, deviceId: 2 });
    expect(res.body.data.activateDevice.status).toBe('ACTIVE');
    const history = h.registry.audit.list({ userId: 1, deviceId: 2 }, 10, null).map((a) => a.action);
    expect(history).toEqual(['activate', 'deactivate', 'connect', 'activate']);
    expect(h.registry.sessions.list({ userId: 1, deviceId: 2 }, 10, null)).toMatchObject([{ status: 'ENDED', endReason: 'lost phone' }]);
  });
});

describe('connectDevice', () => {
  it('adds the key as a peer with a fresh /32 and returns the session', async () => {
    await seedDevice(h, 1, 1, []);
    const key = testKey(1);
    const res = await h.gql(CONNECT, { userId: 1, deviceId: 1, publicKey: key });
    expect(res.status).toBe(200);
    expect(res.body.data.connectDevice).toEqual({
      id: '1',
      userId: 1,
      deviceId: 1,
      publicKey: key,
      address: '10.64.0.2',
      allowedIps: '10.64.0.2/32',
      status: 'ACTIVE',
      startedAt: expect.any(String),
      online: false,
    });
    expect(h.runner.calls).toEqual([['wg', 'set', 'wg0', 'peer', key, 'allowed-ips', '10.64.0.2/32']]);
  });

  it('gives each session its own address and never the interface, network or broadcast address', async () => {
    h = createHarness({ env: { WGNODE_ADDRESS_POOL: '10.9.0.0/29' } });
    await seedDevice(h, 1, 1, []);
    const addresses: string[] = [];
    for (let n = 1; n <= 6; n++) {
      const res = await h.gql(CONNECT, { userId: 1, deviceId: 1, publicKey: testKey(n) });
      addresses.push(res.body.data?.connectDevice.address ?? res.body.errors[0].extensions.code);
    }
    // .0 network, .1 interface, .7 broadcast: five clients fit, the sixth is refused.
    expect(addresses).toEqual(['10.9.0.2', '10.9.0.3', '10.9.0.4', '10.9.0.5', '10.9.0.6', 'ADDRESS_POOL_EXHAUSTED']);
  });

  it('reuses an address only after its session ended', async () => {
    h = createHarness({ env: { WGNODE_ADDRESS_POOL: '10.9.0.0/30' } });
    await seedDevice(h, 1, 1, [testKey(1)]);
    const full = await h.gql(CONNECT, { userId: 1, deviceId: 1, publicKey: testKey(2) });
    expect(full.body.errors[0].extensions.code).toBe('ADDRESS_POOL_EXHAUSTED');
    await h.gql(`mutation { disconnectByUserIdAndDeviceId(userId: 1, deviceId: 1) }`);
    const reused = await h.gql(CONNECT, { userId: 1, deviceId: 1, publicKey: testKey(2) });
    expect(reused.body.data.connectDevice.address).toBe('10.9.0.2');
  });

  it('returns the same session when the same device retries with the same key, adding no second peer', async () => {
    await seedDevice(h, 1, 1, []);
    const first = await h.gql(CONNECT, { userId: 1, deviceId: 1, publicKey: testKey(1) });
    const retry = await h.gql(CONNECT, { userId: 1, deviceId: 1, publicKey: testKey(1) });
    expect(retry.body.data.connectDevice.id).toBe(first.body.data.connectDevice.id);
    expect(h.runner.setCalls()).toHaveLength(1);
  });

  it('refuses a key held by another device with PUBLIC_KEY_IN_USE', async () => {
    await seedDevice(h, 1, 1, [testKey(1)]);
    await seedDevice(h, 2, 1, []);
    const res = await h.gql(CONNECT, { userId: 2, deviceId: 1, publicKey: testKey(1) });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      errors: [{ message: 'Public key is already in use by another session', path: ['connectDevice'], extensions: { code: 'PUBLIC_KEY_IN_USE' } }],
      data: null,
    });
  });

  it('refuses an unknown device with NOT_FOUND and a deactivated one with DEVICE_DEACTIVATED, adding no peer', async () => {
    const unknown = await h.gql(CONNECT, { userId: 1, deviceId: 1, publicKey: testKey(1) });
    expect([unknown.status, unknown.body.errors[0].extensions.code]).toEqual([400, 'NOT_FOUND']);
    await seedDevice(h, 1, 1, []);
    await h.gql(`mutation { deactivateDevice(userId: 1, deviceId: 1) }`);
    const deactivated = await h.gql(CONNECT, { userId: 1, deviceId: 1, publicKey: testKey(1) });
    expect([deactivated.status, deactivated.body.errors[0].extensions.code]).toEqual([400, 'DEVICE_DEACTIVATED']);
    expect(h.runner.calls).toEqual([]);
  });

  it.each([
    ['not base64 at all', 'x; rm -rf /'],
    ['31 bytes', Buffer.alloc(31, 1).toString('base64')],
    ['33 bytes', Buffer.alloc(33, 1).toString('base64')],
    ['non-canonical padding bits', `${testKey(1).slice(0, 42)}B=`],
    ['url-safe alphabet', testKey(5).replace(/.{1}/, '-')],
    ['surrounding whitespace', ` ${testKey(1)}`],
  ])('refuses a bad key (%s) with INVALID_PUBLIC_KEY before any command', async (_label, publicKey) => {
    await seedDevice(h, 1, 1, []);
    const res = await h.gql(CONNECT, { userId: 1, deviceId: 1, publicKey });
    expect([res.status, res.body.data, res.body.errors[0].extensions.code]).toEqual([400, null, 'INVALID_PUBLIC_KEY']);
    expect(h.runner.calls).toEqual([]);
  });
});

describe('connectDevice and static peers', () => {
  it('refuses a key the operator manages by hand (WGNODE_STATIC_PEERS), touching nothing', async () => {
    h = createHarness({ env: { WGNODE_STATIC_PEERS: testKey(42) } });
    await seedDevice(h, 1, 1, []);
    const res = await h.gql(CONNECT, { userId: 1, deviceId: 1, publicKey: testKey(42) });
    expect([res.status, res.body.errors[0].extensions.code]).toEqual([400, 'PUBLIC_KEY_IN_USE']);
    expect(h.runner.calls).toEqual([]);
  });
});

// The published contract, word for word: status, body bytes, and what happens on the interface.
import { beforeEach, describe, expect, it } from 'vitest';
import { createHarness, DEACTIVATE, DISCONNECT, seedDevice, type Harness } from '../support/harness.js';
import { testKey } from '../support/keys.js';

let h: Harness;
beforeEach(() => {
  h = createHarness();
});

describe('disconnectByUserIdAndDeviceId', () => {
  it('answers the contract 200 and removes every active peer of the device in one wg call', async () => {
    const [k1, k2, other] = [testKey(1), testKey(2), testKey(3)];
    await seedDevice(h, 12345, 67890, [k1, k2]);
    await seedDevice(h, 12345, 1, [other]);
    h.runner.calls.length = 0;

    const res = await h.gql(DISCONNECT, { userId: 12345, deviceId: 67890 });

    expect(res.status).toBe(200);
    expect(res.text).toBe('{"data":{"disconnectByUserIdAndDeviceId":true}}');
    expect(h.runner.calls).toEqual([['wg', 'set', 'wg0', 'peer', k1, 'remove', 'peer', k2, 'remove']]);
    expect([...h.runner.peers.keys()]).toEqual([other]);
    const statuses = h.registry.sessions.list({ userId: 12345, deviceId: 67890 }, 10, null).map((s) => s.status);
    expect(statuses).toEqual(['ENDED', 'ENDED']);
  });

  it('answers NOT_FOUND with the contract body for an unknown user or device, running no command', async () => {
    await seedDevice(h, 12345, 1, [testKey(1)]);
    h.runner.calls.length = 0;
    for (const variables of [{ userId: 999, deviceId: 1 }, { userId: 12345, deviceId: 67890 }]) {
      const res = await h.gql(DISCONNECT, variables);
      expect(res.status).toBe(400);
      expect(res.text).toBe(
        '{"errors":[{"message":"User or device not found","path":["disconnectByUserIdAndDeviceId"],"extensions":{"code":"NOT_FOUND"}}],"data":null}',
      );
    }
    expect(h.runner.calls).toEqual([]);
  });

  it('answers SESSION_NOT_FOUND with the contract body when the device has no active session', async () => {
    await seedDevice(h, 12345, 67890, []);
    const res = await h.gql(DISCONNECT, { userId: 12345, deviceId: 67890 });
    expect(res.status).toBe(400);
    expect(res.text).toBe(
      '{"errors":[{"message":"No active session found for this user and device combination","path":["disconnectByUserIdAndDeviceId"],"extensions":{"code":"SESSION_NOT_FOUND"}}],"data":null}',
    );
  });

  it('a second disconnect of the same device finds nothing active', async () => {
    await seedDevice(h, 1, 1, [testKey(1)]);
    expect((await h.gql(DISCONNECT, { userId: 1, deviceId: 1 })).status).toBe(200);
    const again = await h.gql(DISCONNECT, { userId: 1, deviceId: 1 });
    expect(again.body.errors[0].extensions.code).toBe('SESSION_NOT_FOUND');
  });

  it('records the reason on the sessions and in the audit log', async () => {
    await seedDevice(h, 1, 1, [testKey(1)]);
    await h.gql(`mutation { disconnectByUserIdAndDeviceId(userId: 1, deviceId: 1, reason: "support ticket 42") }`);
    const [session] = h.registry.sessions.list({ userId: 1 }, 10, null);
    expect(session).toMatchObject({ status: 'ENDED', endReason: 'support ticket 42', endedBy: 'admin-token' });
    const [entry] = h.registry.audit.list({ action: 'disconnect' }, 10, null);
    expect(entry).toMatchObject({ actor: 'admin-token', userId: 1, deviceId: 1, reason: 'support ticket 42', outcome: 'ok' });
  });
});

describe('deactivateDevice', () => {
  it('answers the contract 200, removes the peers, keeps the record and marks it DEACTIVATED', async () => {
    const key = testKey(7);
    await seedDevice(h, 12345, 67890, [key]);
    h.runner.calls.length = 0;

    const res = await h.gql(DEACTIVATE, { userId: 12345, deviceId: 67890 });

    expect(res.status).toBe(200);
    expect(res.text).toBe('{"data":{"deactivateDevice":true}}');
    expect(h.runner.calls).toEqual([['wg', 'set', 'wg0', 'peer', key, 'remove']]);
    expect(h.runner.peers.size).toBe(0);
    expect(h.registry.devices.get(12345, 67890)).toMatchObject({ status: 'DEACTIVATED', deactivatedBy: 'admin-token' });
    expect(h.registry.sessions.list({ userId: 12345 }, 10, null)[0]).toMatchObject({ status: 'ENDED' });
  });

  it('deactivates a device with no session without running a command', async () => {
    await seedDevice(h, 5, 6, []);
    h.runner.calls.length = 0;
    expect((await h.gql(DEACTIVATE, { userId: 5, deviceId: 6 })).text).toBe('{"data":{"deactivateDevice":true}}');
    expect(h.runner.calls).toEqual([]);
  });

  it('answers USER_NOT_FOUND with the contract body for an unknown user', async () => {
    const res = await h.gql(DEACTIVATE, { userId: 12345, deviceId: 67890 });
    expect(res.status).toBe(400);
    expect(res.text).toBe(
      '{"errors":[{"message":"User not found","path":["deactivateDevice"],"extensions":{"code":"USER_NOT_FOUND"}}],"data":null}',
    );
  });

  it('answers DEVICE_NOT_FOUND with the contract body for an unknown or already deactivated device', async () => {
    await seedDevice(h, 12345, 1, []);
    const expected =
      '{"errors":[{"message":"Device not found or already deactivated","path":["deactivateDevice"],"extensions":{"code":"DEVICE_NOT_FOUND"}}],"data":null}';
    const unknown = await h.gql(DEACTIVATE, { userId: 12345, deviceId: 67890 });
    expect([unknown.status, unknown.text]).toEqual([400, expected]);
    expect((await h.gql(DEACTIVATE, { userId: 12345, deviceId: 1 })).status).toBe(200);
    const again = await h.gql(DEACTIVATE, { userId: 12345, deviceId: 1 });
    expect([again.status, again.text]).toEqual([400, expected]);
  });

  it('frees the device slot and refuses new connections until activated again', async () => {
    h = createHarness({ env: { WGNODE_MAX_DEVICES_PER_USER: '1' } });
    await seedDevice(h, 1, 1, []);
    const refused = await h.gql(`mutation { activateDevice(userId: 1, deviceId: 2) { status } }`);
    expect(refused.body.errors[0].extensions.code).toBe('DEVICE_LIMIT_REACHED');
    await h.gql(DEACTIVATE, { userId: 1, deviceId: 1 });
    const connect = await h.gql(`mutation { connectDevice(userId: 1, deviceId: 1, publicKey: "${testKey(1)}") { id } }`);
    expect([connect.status, connect.body.errors[0].extensions.code]).toEqual([400, 'DEVICE_DEACTIVATED']);
    const second = await h.gql(`mutation { activateDevice(userId: 1, deviceId: 2) { status } }`);
    expect(second.body.data.activateDevice.status).toBe('ACTIVE');
  });
});

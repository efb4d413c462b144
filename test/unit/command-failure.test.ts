// When wg fails, the registry keeps the intent and the caller hears the truth: never `true`.
import { beforeEach, describe, expect, it } from 'vitest';
import { CONNECT, createHarness, DEACTIVATE, DISCONNECT, seedDevice, type Harness } from '../support/harness.js';
import { testKey } from '../support/keys.js';

let h: Harness;
beforeEach(() => {
  h = createHarness();
});

const failRemovals = (argv: readonly string[]) => argv.includes('remove');

describe('a failing wg', () => {
  it('disconnect answers 503 REMOVAL_PENDING, leaves the sessions ENDING and the peer in place', async () => {
    await seedDevice(h, 1, 1, [testKey(1)]);
    h.runner.failWhen = failRemovals;

    const res = await h.gql(DISCONNECT, { userId: 1, deviceId: 1 });

    expect(res.status).toBe(503);
    expect(res.body.data).toBeNull();
    expect(res.body.errors[0]).toMatchObject({ path: ['disconnectByUserIdAndDeviceId'], extensions: { code: 'REMOVAL_PENDING' } });
    expect(res.body.errors[0].message).toMatch(/recorded/);
    expect(h.registry.sessions.list({ userId: 1 }, 10, null).map((s) => s.status)).toEqual(['ENDING']);
    expect(h.runner.peers.has(testKey(1))).toBe(true);
    expect(h.registry.audit.list({ action: 'disconnect' }, 10, null)[0]?.outcome).toBe('pending');
  });

  it('never leaks the command line or stderr to the caller', async () => {
    await seedDevice(h, 1, 1, [testKey(1)]);
    h.runner.failWhen = failRemovals;
    const res = await h.gql(DISCONNECT, { userId: 1, deviceId: 1 });
    expect(res.text).not.toMatch(/wg set|simulated failure|exited|wg0/);
  });

  it('deactivate answers 503 but the device is DEACTIVATED and stays refused', async () => {
    await seedDevice(h, 1, 1, [testKey(1)]);
    h.runner.failWhen = failRemovals;

    const res = await h.gql(DEACTIVATE, { userId: 1, deviceId: 1 });

    expect([res.status, res.body.errors[0].extensions.code]).toEqual([503, 'REMOVAL_PENDING']);
    expect(h.registry.devices.get(1, 1)?.status).toBe('DEACTIVATED');
    h.runner.failWhen = null;
    const reconnect = await h.gql(CONNECT, { userId: 1, deviceId: 1, publicKey: testKey(2) });
    expect(reconnect.body.errors[0].extensions.code).toBe('DEVICE_DEACTIVATED');
  });

  it('a later deactivate retries the removal of sessions left ENDING and then answers true', async () => {
    await seedDevice(h, 1, 1, [testKey(1)]);
    h.runner.failWhen = failRemovals;
    expect((await h.gql(DISCONNECT, { userId: 1, deviceId: 1 })).status).toBe(503);
    h.runner.failWhen = null;

    const res = await h.gql(DEACTIVATE, { userId: 1, deviceId: 1 });

    expect(res.text).toBe('{"data":{"deactivateDevice":true}}');
    expect(h.runner.peers.size).toBe(0);
    expect(h.registry.sessions.list({ userId: 1 }, 10, null).map((s) => s.status)).toEqual(['ENDED']);
  });

  it('connect answers 503 PEER_ADD_FAILED and leaves no ACTIVE session behind', async () => {
    await seedDevice(h, 1, 1, []);
    h.runner.failWhen = (argv) => argv.includes('allowed-ips');

    const res = await h.gql(CONNECT, { userId: 1, deviceId: 1, publicKey: testKey(1) });

    expect([res.status, res.body.errors[0].extensions.code]).toEqual([503, 'PEER_ADD_FAILED']);
    // ENDING, not ENDED: if the add did land (a timeout), the reconciler still removes the peer.
    expect(h.registry.sessions.list({ userId: 1 }, 10, null)).toMatchObject([{ status: 'ENDING', endReason: 'connect failed' }]);
  });
});

describe('a retry after a 503', () => {
  const auditOf = (action: string) =>
    h.registry.audit
      .list({ action }, 10, null)
      .reverse()
      .map((r) => [r.outcome, r.detail]);

  it('disconnect: 503 while wg fails, true once it works and the peer is gone, then SESSION_NOT_FOUND', async () => {
    const [id] = await seedDevice(h, 1, 1, [testKey(1)]);
    h.runner.failWhen = failRemovals;
    expect((await h.gql(DISCONNECT, { userId: 1, deviceId: 1 })).status).toBe(503);

    const stillFailing = await h.gql(DISCONNECT, { userId: 1, deviceId: 1 });
    expect([stillFailing.status, stillFailing.body.errors[0].extensions.code]).toEqual([503, 'REMOVAL_PENDING']);
    expect(h.runner.peers.has(testKey(1))).toBe(true);

    h.runner.failWhen = null;
    const fixed = await h.gql(DISCONNECT, { userId: 1, deviceId: 1 });
    expect(fixed.text).toBe('{"data":{"disconnectByUserIdAndDeviceId":true}}');
    expect(h.runner.peers.has(testKey(1))).toBe(false);
    expect(h.registry.sessions.list({ userId: 1 }, 10, null).map((s) => s.status)).toEqual(['ENDED']);

    const done = await h.gql(DISCONNECT, { userId: 1, deviceId: 1 });
    expect(done.status).toBe(400);
    expect(done.text).toBe(
      '{"errors":[{"message":"No active session found for this user and device combination","path":["disconnectByUserIdAndDeviceId"],"extensions":{"code":"SESSION_NOT_FOUND"}}],"data":null}',
    );
    const sessions = `[${id}]`;
    expect(auditOf('disconnect')).toEqual([
      ['pending', `{"sessions":${sessions}}`],
      ['pending', `{"sessions":${sessions},"retry":true}`],
      ['ok', `{"sessions":${sessions},"retry":true}`],
      ['refused:SESSION_NOT_FOUND', null],
    ]);
  });

  it('disconnectBySessionId: the same rule by session id', async () => {
    const [id] = await seedDevice(h, 1, 1, [testKey(1)]);
    const bySession = `mutation { disconnectBySessionId(sessionId: "${id}") }`;
    h.runner.failWhen = failRemovals;
    expect((await h.gql(bySession)).status).toBe(503);
    expect((await h.gql(bySession)).status).toBe(503);
    h.runner.failWhen = null;
    expect((await h.gql(bySession)).text).toBe('{"data":{"disconnectBySessionId":true}}');
    expect(h.runner.peers.size).toBe(0);
    const done = await h.gql(bySession);
    expect([done.status, done.body.errors[0].extensions.code]).toEqual([400, 'SESSION_NOT_FOUND']);
  });

  it('deactivate: 503 while wg fails, true once it works and the peer is gone, then DEVICE_NOT_FOUND', async () => {
    const [id] = await seedDevice(h, 1, 1, [testKey(1)]);
    h.runner.failWhen = failRemovals;
    expect((await h.gql(DEACTIVATE, { userId: 1, deviceId: 1 })).status).toBe(503);
    const stillFailing = await h.gql(DEACTIVATE, { userId: 1, deviceId: 1 });
    expect([stillFailing.status, stillFailing.body.errors[0].extensions.code]).toEqual([503, 'REMOVAL_PENDING']);

    h.runner.failWhen = null;
    expect((await h.gql(DEACTIVATE, { userId: 1, deviceId: 1 })).text).toBe('{"data":{"deactivateDevice":true}}');
    expect(h.runner.peers.size).toBe(0);
    expect(h.registry.devices.get(1, 1)?.status).toBe('DEACTIVATED');

    const done = await h.gql(DEACTIVATE, { userId: 1, deviceId: 1 });
    expect(done.status).toBe(400);
    expect(done.text).toBe(
      '{"errors":[{"message":"Device not found or already deactivated","path":["deactivateDevice"],"extensions":{"code":"DEVICE_NOT_FOUND"}}],"data":null}',
    );
    expect(auditOf('deactivate')).toEqual([
      ['pending', `{"sessions":[${id}]}`],
      ['pending', `{"sessions":[${id}],"retry":true}`],
      ['ok', `{"sessions":[${id}],"retry":true}`],
      ['refused:DEVICE_NOT_FOUND', null],
    ]);
  });

  it('bulk: each item follows the same rule', async () => {
    await seedDevice(h, 1, 1, [testKey(1)]);
    await seedDevice(h, 2, 1, [testKey(2)]);
    const bulk = `mutation { deactivateDevices(items: [{ userId: 1, deviceId: 1 }, { userId: 2, deviceId: 1 }]) { userId ok code } }`;
    h.runner.failWhen = (argv) => argv.includes(testKey(1)) && argv.includes('remove');
    const first = await h.gql(bulk);
    expect(first.status).toBe(503);
    expect(first.body.data.deactivateDevices).toEqual([
      { userId: 1, ok: false, code: 'REMOVAL_PENDING' },
      { userId: 2, ok: true, code: null },
    ]);

    h.runner.failWhen = null;
    const retry = await h.gql(bulk);
    expect(retry.status).toBe(200);
    expect(retry.body.data.deactivateDevices).toEqual([
      { userId: 1, ok: true, code: null },
      { userId: 2, ok: false, code: 'DEVICE_NOT_FOUND' },
    ]);
    expect(h.runner.peers.size).toBe(0);
  });
});

describe('WGNODE_NETNS', () => {
  it('runs every command through ip netns exec', async () => {
    h = createHarness({ env: { WGNODE_NETNS: 'vpn', WGNODE_INTERFACE: 'wgx' } });
    await seedDevice(h, 1, 1, [testKey(1)]);
    await h.gql(DISCONNECT, { userId: 1, deviceId: 1 });
    expect(h.runner.calls).toEqual([
      ['ip', 'netns', 'exec', 'vpn', 'wg', 'set', 'wgx', 'peer', testKey(1), 'allowed-ips', '10.64.0.2/32'],
      ['ip', 'netns', 'exec', 'vpn', 'wg', 'set', 'wgx', 'peer', testKey(1), 'remove'],
    ]);
  });
});

// The read side: sessions with filters and keyset pagination, devices, node info, online.
import { beforeEach, describe, expect, it } from 'vitest';
import { createHarness, seedDevice, type Harness } from '../support/harness.js';
import { testKey } from '../support/keys.js';

const T0 = Date.parse('2026-11-23T12:00:00.000Z');
let clock = T0;
let h: Harness;
beforeEach(async () => {
  clock = T0;
  h = createHarness({ now: () => clock });
  await seedDevice(h, 1, 1, [testKey(1), testKey(2)]);
  await seedDevice(h, 1, 2, [testKey(3)]);
  await seedDevice(h, 2, 1, [testKey(4), testKey(5)]);
  await h.gql(`mutation { disconnectBySessionId(sessionId: "2", reason: "rotated key") }`);
});

const SESSIONS = `query ($first: Int, $after: String, $userId: Int, $status: SessionStatus, $online: Boolean) {
  sessions(first: $first, after: $after, userId: $userId, status: $status, online: $online) {
    nodes { id status } pageInfo { hasNextPage endCursor } totalCount } }`;

describe('sessions', () => {
  it('pages through every session with opaque cursors, in id order', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const res = await h.gql(SESSIONS, { first: 2, after });
      const page = res.body.data.sessions;
      expect(page.totalCount).toBe(5);
      seen.push(...page.nodes.map((n: { id: string }) => n.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(['1', '2', '3', '4', '5']);
  });

  it('filters by user and status, counting what matches', async () => {
    const res = await h.gql(SESSIONS, { userId: 1, status: 'ACTIVE' });
    expect(res.body.data.sessions).toEqual({
      nodes: [{ id: '1', status: 'ACTIVE' }, { id: '3', status: 'ACTIVE' }],
      pageInfo: { hasNextPage: false, endCursor: expect.any(String) },
      totalCount: 2,
    });
  });

  it('derives online from the latest handshake and the online window', async () => {
    h.registry.sessions.recordHandshakes([
      { id: 1, lastHandshakeAt: T0 - 60_000, rxBytes: 10, txBytes: 20 },
      { id: 3, lastHandshakeAt: T0 - 181_000, rxBytes: 0, txBytes: 0 },
    ]);
    const online = await h.gql(SESSIONS, { online: true });
    expect(online.body.data.sessions.nodes.map((n: { id: string }) => n.id)).toEqual(['1']);
    const offline = await h.gql(SESSIONS, { online: false, status: 'ACTIVE' });
    expect(offline.body.data.sessions.nodes.map((n: { id: string }) => n.id)).toEqual(['3', '4', '5']);
    const one = await h.gql(`{ session(id: "1") { online lastHandshakeAt rxBytes txBytes } }`);
    expect(one.body.data.session).toEqual({ online: true, lastHandshakeAt: '2026-11-23T11:59:00.000Z', rxBytes: 10, txBytes: 20 });
    clock = T0 + 121_000;
    expect((await h.gql(`{ session(id: "1") { online } }`)).body.data.session.online).toBe(false);
  });

  it.each([
    [{ first: 0 }, /first must be between 1 and 500/],
    [{ first: 501 }, /first must be between 1 and 500/],
    [{ after: 'bm90LWEtY3Vyc29y' }, /not a cursor/],
  ])('refuses %j with BAD_USER_INPUT', async (variables, message) => {
    const res = await h.gql(SESSIONS, variables);
    expect(res.status).toBe(400);
    expect(res.body.errors[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    expect(res.body.errors[0].message).toMatch(message);
  });
});

describe('session, device, devices, node', () => {
  it('returns a session by id, or null for an unknown or malformed id', async () => {
    const res = await h.gql(`{ a: session(id: "2") { id status endedAt endReason } b: session(id: "99") { id } c: session(id: "x") { id } }`);
    expect(res.body.data).toEqual({
      a: { id: '2', status: 'ENDED', endedAt: '2026-11-23T12:00:00.000Z', endReason: 'rotated key' },
      b: null,
      c: null,
    });
  });

  it('returns devices with their sessions', async () => {
    await h.gql(`mutation { deactivateDevice(userId: 1, deviceId: 2, reason: "stolen") }`);
    const res = await h.gql(`{ devices(userId: 1) { deviceId status deactivatedAt deactivationReason sessions(status: ACTIVE) { id } } device(userId: 9, deviceId: 9) { status } }`);
    expect(res.body.data).toEqual({
      devices: [
        { deviceId: 1, status: 'ACTIVE', deactivatedAt: null, deactivationReason: null, sessions: [{ id: '1' }] },
        { deviceId: 2, status: 'DEACTIVATED', deactivatedAt: '2026-11-23T12:00:00.000Z', deactivationReason: 'stolen', sessions: [] },
      ],
      device: null,
    });
  });

  it('tells a client how to reach the node once the interface has been read', async () => {
    expect((await h.gql(`{ node { publicKey } }`)).body.data.node.publicKey).toBeNull();
    await h.agent.refreshInterfaceInfo();
    const res = await h.gql(`{ node { interface publicKey listenPort address addressPool endpoint } }`);
    expect(res.body.data.node).toEqual({
      interface: 'wg0',
      publicKey: 'nodePublicKeyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
      listenPort: 51820,
      address: '10.64.0.1',
      addressPool: '10.64.0.0/16',
      endpoint: null,
    });
  });
});

describe('disconnectBySessionId', () => {
  it('ends one session and leaves the device\'s others', async () => {
    const res = await h.gql(`mutation { disconnectBySessionId(sessionId: "4") }`);
    expect(res.text).toBe('{"data":{"disconnectBySessionId":true}}');
    expect(h.runner.peers.has(testKey(4))).toBe(false);
    expect(h.runner.peers.has(testKey(5))).toBe(true);
  });

  it('answers SESSION_NOT_FOUND for an ended, unknown or malformed id', async () => {
    for (const id of ['2', '99']) {
      const res = await h.gql(`mutation { disconnectBySessionId(sessionId: "${id}") }`);
      expect([res.status, res.body.errors[0].extensions.code]).toEqual([400, 'SESSION_NOT_FOUND']);
    }
    const malformed = await h.gql(`mutation { disconnectBySessionId(sessionId: "1 OR 1=1") }`);
    expect([malformed.status, malformed.body.errors[0].extensions.code]).toEqual([400, 'BAD_USER_INPUT']);
  });
});

import { describe, expect, it } from 'vitest';
import { ACTIVATE, ADMIN_TOKEN, CONNECT, createHarness, DEACTIVATE, DISCONNECT, READ_TOKEN, seedDevice, type Harness } from '../support/harness.js';
import { testKey } from '../support/keys.js';

const CHANGES = `query ($after: String, $first: Int) {
  changes(after: $after, first: $first) {
    nodes { cursor seq kind at userId deviceId sessionId actor reason publicKey address }
    pageInfo { hasNextPage endCursor }
  }
}`;

interface ChangeNode {
  cursor: string;
  seq: number;
  kind: string;
  userId: number | null;
  deviceId: number | null;
  sessionId: string | null;
  actor: string | null;
  reason: string | null;
  publicKey: string | null;
  address: string | null;
}

async function changes(h: Harness, after?: string | null, first = 500, token = ADMIN_TOKEN) {
  return h.gql(CHANGES, { after, first }, token);
}

async function allChanges(h: Harness, after?: string | null): Promise<ChangeNode[]> {
  const res = await changes(h, after);
  expect(res.status, res.text).toBe(200);
  return res.body.data.changes.nodes as ChangeNode[];
}

const kinds = (nodes: ChangeNode[]) => nodes.map((n) => n.kind);

describe('change feed rows', () => {
  it('records activate, connect and disconnect with who, why and the session they concern', async () => {
    const h = createHarness();
    const [sessionId] = await seedDevice(h, 1, 2, [testKey(1)]);
    expect((await h.gql(`mutation { disconnectByUserIdAndDeviceId(userId: 1, deviceId: 2, reason: "lost phone") }`)).status).toBe(200);
    const nodes = await allChanges(h);
    expect(kinds(nodes)).toEqual(['DEVICE_ACTIVATED', 'SESSION_STARTED', 'SESSION_ENDING', 'SESSION_ENDED']);
    expect(nodes[1]).toMatchObject({ userId: 1, deviceId: 2, sessionId, actor: 'admin-token', publicKey: testKey(1), address: '10.64.0.2' });
    expect(nodes[2]).toMatchObject({ sessionId, actor: 'admin-token', reason: 'lost phone' });
    expect(nodes[3]).toMatchObject({ sessionId, actor: 'admin-token', reason: 'lost phone' });
    expect(nodes.map((n) => n.seq)).toEqual([...nodes.map((n) => n.seq)].sort((a, b) => a - b));
  });

  it('records deactivation and reactivation, and nothing for a refused or repeated action', async () => {
    const h = createHarness();
    await seedDevice(h, 1, 1, [testKey(1)]);
    await h.gql(DEACTIVATE, { userId: 1, deviceId: 1 });
    const before = (await allChanges(h)).length;
    // Refused (deactivated device) and repeated (already deactivated): no state changed, no row.
    expect((await h.gql(CONNECT, { userId: 1, deviceId: 1, publicKey: testKey(2) })).status).toBe(400);
    expect((await h.gql(DEACTIVATE, { userId: 1, deviceId: 1 })).status).toBe(400);
    expect(await allChanges(h)).toHaveLength(before);
    await h.gql(ACTIVATE, { userId: 1, deviceId: 1 });
    await h.gql(ACTIVATE, { userId: 1, deviceId: 1 });
    const nodes = await allChanges(h);
    expect(kinds(nodes)).toEqual(['DEVICE_ACTIVATED', 'SESSION_STARTED', 'DEVICE_DEACTIVATED', 'SESSION_ENDING', 'SESSION_ENDED', 'DEVICE_ACTIVATED']);
    expect(nodes[3]!.reason).toBe('device deactivated');
  });

  it('records an unconfirmed removal as ENDING and its end when the reconciler confirms it', async () => {
    const h = createHarness();
    await seedDevice(h, 1, 1, [testKey(1)]);
    h.runner.failWhen = (argv) => argv.includes('set');
    expect((await h.gql(DISCONNECT, { userId: 1, deviceId: 1 })).status).toBe(503);
    expect(kinds(await allChanges(h)).slice(-1)).toEqual(['SESSION_ENDING']);
    h.runner.failWhen = null;
    await h.agent.reconciler.runOnce();
    const last = (await allChanges(h)).at(-1)!;
    expect(last).toMatchObject({ kind: 'SESSION_ENDED', actor: 'admin-token' });
  });

  it('records the reconciler: unknown peer removed, missing peer restored, idle session ended', async () => {
    let clock = Date.parse('2026-01-01T00:00:00Z');
    const h = createHarness({ env: { WGNODE_IDLE_TIMEOUT_S: '600' }, now: () => clock });
    const [first] = await seedDevice(h, 1, 1, [testKey(1)]);
    h.runner.peers.set(testKey(90), { allowedIps: '10.64.0.90/32', latestHandshake: 0, rxBytes: 0, txBytes: 0 });
    h.runner.peers.delete(testKey(1));
    await h.agent.reconciler.runOnce();
    const repaired = (await allChanges(h)).slice(2);
    expect(repaired).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'PEER_REMOVED', actor: 'reconciler', publicKey: testKey(90) }),
        expect.objectContaining({ kind: 'PEER_RESTORED', actor: 'reconciler', sessionId: first, userId: 1, deviceId: 1 }),
      ]),
    );
    clock += 601_000;
    await h.agent.reconciler.runOnce();
    const ended = (await allChanges(h)).slice(-2);
    expect(ended).toMatchObject([
      { kind: 'SESSION_ENDING', actor: 'reconciler', reason: 'idle for more than 600 s', sessionId: first },
      { kind: 'SESSION_ENDED', actor: 'reconciler', sessionId: first },
    ]);
  });

  it('records a session going online when a handshake is seen and offline when the window passes', async () => {
    let clock = Date.parse('2026-01-01T00:00:00Z');
    const h = createHarness({ env: { WGNODE_ONLINE_WINDOW_S: '180' }, now: () => clock });
    const [sessionId] = await seedDevice(h, 1, 1, [testKey(1)]);
    await h.agent.reconciler.runOnce();
    expect(kinds(await allChanges(h))).toEqual(['DEVICE_ACTIVATED', 'SESSION_STARTED']);
    h.runner.peers.get(testKey(1))!.latestHandshake = Math.floor(clock / 1000);
    await h.agent.reconciler.runOnce();
    await h.agent.reconciler.runOnce();
    clock += 100_000;
    await h.agent.reconciler.runOnce();
    expect((await allChanges(h)).slice(2)).toMatchObject([{ kind: 'SESSION_ONLINE', sessionId, userId: 1, deviceId: 1 }]);
    clock += 100_000;
    await h.agent.reconciler.runOnce();
    await h.agent.reconciler.runOnce();
    expect(kinds((await allChanges(h)).slice(2))).toEqual(['SESSION_ONLINE', 'SESSION_OFFLINE']);
  });

  it('records the interface lost when the dump fails and back when it answers again, once each', async () => {
    const h = createHarness();
    await h.agent.reconciler.runOnce();
    h.runner.failWhen = (argv) => argv.includes('dump');
    await h.agent.reconciler.runOnce();
    await h.agent.reconciler.runOnce();
    h.runner.failWhen = null;
    await h.agent.reconciler.runOnce();
    await h.agent.reconciler.runOnce();
    const nodes = await allChanges(h);
    expect(kinds(nodes)).toEqual(['INTERFACE_LOST', 'INTERFACE_BACK']);
    expect(nodes[0]).toMatchObject({ actor: 'reconciler' });
  });
});

describe('changes query', () => {
  it('pages with cursors, answers the read scope, and hands back a cursor on an empty page', async () => {
    const h = createHarness();
    await seedDevice(h, 1, 1, [testKey(1), testKey(2)]);
    const page1 = await changes(h, null, 2, READ_TOKEN);
    expect(page1.status).toBe(200);
    expect(page1.body.data.changes.pageInfo.hasNextPage).toBe(true);
    const page2 = await changes(h, page1.body.data.changes.pageInfo.endCursor, 2, READ_TOKEN);
    expect(kinds(page2.body.data.changes.nodes)).toEqual(['SESSION_STARTED']);
    expect(page2.body.data.changes.pageInfo.hasNextPage).toBe(false);
    const end = page2.body.data.changes.pageInfo.endCursor as string;
    const empty = await changes(h, end, 2);
    expect(empty.body.data.changes).toEqual({ nodes: [], pageInfo: { hasNextPage: false, endCursor: end } });
    await h.gql(DISCONNECT, { userId: 1, deviceId: 1 });
    expect(kinds(await allChanges(h, end))).toEqual(['SESSION_ENDING', 'SESSION_ENDING', 'SESSION_ENDED', 'SESSION_ENDED']);
  });

  it('refuses a cursor of another registry (wiped, another node) with 400 RESYNC_REQUIRED', async () => {
    const old = createHarness();
    await seedDevice(old, 1, 1, []);
    const cursor = (await allChanges(old))[0]!.cursor;
    const wiped = createHarness();
    await seedDevice(wiped, 1, 1, []);
    const res = await changes(wiped, cursor);
    expect(res.status).toBe(400);
    expect(res.body.errors[0].extensions.code).toBe('RESYNC_REQUIRED');
    expect(res.body.data).toBeNull();
  });

  it('refuses a cursor of a restored backup copy (new feed epoch) and one ahead of the feed', async () => {
    const h = createHarness();
    await seedDevice(h, 1, 1, []);
    const cursor = (await allChanges(h))[0]!.cursor;
    const ahead = Buffer.from(Buffer.from(cursor, 'base64url').toString().replace(/:\d+$/, ':99')).toString('base64url');
    expect((await changes(h, ahead)).body.errors[0].extensions.code).toBe('RESYNC_REQUIRED');
    h.registry.state.putJson('feed_epoch', 'abcd');
    const res = await changes(h, cursor);
    expect(res.status).toBe(400);
    expect(res.body.errors[0].extensions.code).toBe('RESYNC_REQUIRED');
  });

  it('refuses a cursor older than retention with RESYNC_REQUIRED, and follows one still retained', async () => {
    const h = createHarness({ env: { WGNODE_CHANGES_RETENTION: '3' } });
    await seedDevice(h, 1, 1, [testKey(1), testKey(2), testKey(3)]);
    await h.gql(DISCONNECT, { userId: 1, deviceId: 1 });
    const nodes = await allChanges(h);
    expect(await h.agent.retention.pruneChanges()).toBe(nodes.length - 3);
    const kept = await allChanges(h);
    expect(kept.map((n) => n.seq)).toEqual(nodes.slice(-3).map((n) => n.seq));
    // The cursor just before the oldest kept row still follows; one before it does not.
    expect((await changes(h, nodes.at(-4)!.cursor)).status).toBe(200);
    const res = await changes(h, nodes.at(-5)!.cursor);
    expect(res.status).toBe(400);
    expect(res.body.errors[0].extensions.code).toBe('RESYNC_REQUIRED');
  });

  it('answers a cursor it never issued with BAD_USER_INPUT', async () => {
    const h = createHarness();
    const res = await changes(h, 'bm90LWEtY3Vyc29y');
    expect(res.status).toBe(400);
    expect(res.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
  });
});

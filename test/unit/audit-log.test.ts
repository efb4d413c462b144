// The auditLog query: newest first, keyset pages that neither skip nor repeat, filters by user,
// device, action and time, totalCount, and a 400 for a malformed since or cursor.
import { beforeEach, describe, expect, it } from 'vitest';
import { encodeCursor } from '../../src/graphql/paging.js';
import { ADMIN_TOKEN, createHarness, READ_TOKEN, type Harness } from '../support/harness.js';
import { testKey } from '../support/keys.js';

const T0 = Date.parse('2026-11-23T12:00:00Z');
let clock: number;
let h: Harness;

const AUDIT = `query ($first: Int, $after: String, $userId: Int, $deviceId: Int, $action: String, $since: String) {
  auditLog(first: $first, after: $after, userId: $userId, deviceId: $deviceId, action: $action, since: $since) {
    nodes { id at actor action userId deviceId sessionId reason outcome detail }
    pageInfo { hasNextPage endCursor }
    totalCount
  }
}`;

async function audit(variables: Record<string, unknown>, token: string | null = READ_TOKEN) {
  return h.gql(AUDIT, variables, token);
}

// Ten rows, one minute apart: user 1 (activate, connect ×2, deactivate with a reason) at
// minutes 0-3, user 2 device 1 (activate, connect) at 4-5, user 2 device 2 (activate, connect)
// at 6-7, a refused connect of user 1 at 8, and a disconnect of user 2 device 1 at 9.
beforeEach(async () => {
  clock = T0;
  h = createHarness({ now: () => clock });
  const tick = () => (clock += 60_000);
  const step = async (query: string, variables: Record<string, unknown>) => {
    const res = await h.gql(query, variables);
    tick();
    return res;
  };
  const ACT = `mutation ($u: Int!, $d: Int!) { activateDevice(userId: $u, deviceId: $d) { status } }`;
  const CONN = `mutation ($u: Int!, $d: Int!, $k: String!) { connectDevice(userId: $u, deviceId: $d, publicKey: $k) { id } }`;
  const DEACT = `mutation ($u: Int!, $d: Int!) { deactivateDevice(userId: $u, deviceId: $d, reason: "lost phone") }`;
  const DISC = `mutation ($u: Int!, $d: Int!) { disconnectByUserIdAndDeviceId(userId: $u, deviceId: $d, reason: "support ticket") }`;
  await step(ACT, { u: 1, d: 1 });
  await step(CONN, { u: 1, d: 1, k: testKey(1) });
  await step(CONN, { u: 1, d: 1, k: testKey(2) });
  await step(DEACT, { u: 1, d: 1 });
  await step(ACT, { u: 2, d: 1 });
  await step(CONN, { u: 2, d: 1, k: testKey(3) });
  await step(ACT, { u: 2, d: 2 });
  await step(CONN, { u: 2, d: 2, k: testKey(4) });
  expect((await step(CONN, { u: 1, d: 1, k: testKey(5) })).status).toBe(400); // refused: deactivated
  await step(DISC, { u: 2, d: 1 });
});

describe('auditLog', () => {
  it('lists newest first with the entry fields, to a read token', async () => {
    const res = await audit({ first: 3 });
    expect(res.status).toBe(200);
    const { nodes, totalCount } = res.body.data.auditLog;
    expect(totalCount).toBe(10);
    expect(nodes.map((n: any) => n.action)).toEqual(['disconnect', 'connect', 'connect']);
    expect(nodes[0]).toMatchObject({
      at: new Date(T0 + 9 * 60_000).toISOString(),
      actor: 'admin-token',
      userId: 2,
      deviceId: 1,
      reason: 'support ticket',
      outcome: 'ok',
    });
    expect(nodes[1]).toMatchObject({ userId: 1, outcome: 'refused:DEVICE_DEACTIVATED', sessionId: null });
    expect(nodes[2].sessionId).toMatch(/^\d+$/);
    expect(Number(nodes[0].id)).toBeGreaterThan(Number(nodes[1].id));
  });

  it('pages with opaque cursors: every row once, in order, and hasNextPage false at the end', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page++) {
      const res = await audit({ first: 4, after });
      const conn = res.body.data.auditLog;
      seen.push(...conn.nodes.map((n: any) => n.id));
      expect(conn.totalCount).toBe(10);
      if (!conn.pageInfo.hasNextPage) break;
      after = conn.pageInfo.endCursor;
    }
    expect(seen).toHaveLength(10);
    expect(new Set(seen).size).toBe(10);
    expect(seen.map(Number)).toEqual([...seen.map(Number)].sort((a, b) => b - a));
  });

  it('filters by user, device and action, and totalCount counts the filtered rows', async () => {
    const byUser = (await audit({ userId: 2 })).body.data.auditLog;
    expect(byUser.totalCount).toBe(5);
    expect(byUser.nodes.every((n: any) => n.userId === 2)).toBe(true);

    const byDevice = (await audit({ userId: 2, deviceId: 2 })).body.data.auditLog;
    expect(byDevice.nodes.map((n: any) => n.action)).toEqual(['connect', 'activate']);
    expect(byDevice.totalCount).toBe(2);

    const connects = (await audit({ action: 'connect', first: 2 })).body.data.auditLog;
    expect(connects.totalCount).toBe(5);
    expect(connects.nodes).toHaveLength(2);
    expect(connects.pageInfo.hasNextPage).toBe(true);
  });

  it('filters by since (ISO-8601, inclusive), with Z or an offset', async () => {
    const since = new Date(T0 + 7 * 60_000).toISOString();
    const res = (await audit({ since })).body.data.auditLog;
    expect(res.totalCount).toBe(3);
    expect(res.nodes.map((n: any) => n.at)).toEqual([9, 8, 7].map((m) => new Date(T0 + m * 60_000).toISOString()));
    const withOffset = (await audit({ since: '2026-11-23T13:07:00+01:00' })).body.data.auditLog;
    expect(withOffset.totalCount).toBe(3);
    expect((await audit({ since: '2026-11-24' })).body.data.auditLog.totalCount).toBe(0);
  });

  it('answers 400 BAD_USER_INPUT for a malformed since, a foreign cursor or a bad page size', async () => {
    for (const variables of [
      { since: 'yesterday' },
      { since: '2026-11-23 12:00' },
      { since: '2026-11-23T12:00:00' }, // no zone: ambiguous
      { since: '2026-13-01T00:00:00Z' },
      { after: 'bm90LWEtY3Vyc29y' },
      { after: encodeCursor('session', 5) }, // a sessions cursor is not an audit cursor
      { first: 0 },
      { first: 501 },
    ]) {
      const res = await audit(variables);
      expect(res.status, JSON.stringify(variables)).toBe(400);
      expect(res.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    }
  });

  it('needs a credential', async () => {
    expect((await audit({}, null)).status).toBe(401);
    expect((await audit({}, ADMIN_TOKEN)).status).toBe(200);
  });

  it('records what deactivate recorded: reason and the sessions it ended', async () => {
    const res = (await audit({ action: 'deactivate' })).body.data.auditLog;
    expect(res.nodes).toHaveLength(1);
    expect(res.nodes[0]).toMatchObject({ userId: 1, deviceId: 1, reason: 'lost phone', outcome: 'ok' });
  });
});

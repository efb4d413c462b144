// Refused requests cannot grow the database without bound: repeated identical refusals share one
// audit row (count, lastAt), and history retention prunes ENDED sessions and old audit rows in
// batches, leaving live sessions and pending intents alone.
import { beforeEach, describe, expect, it } from 'vitest';
import { createHarness, DISCONNECT, READ_TOKEN, seedDevice, type Harness } from '../support/harness.js';
import { testKey } from '../support/keys.js';

const T0 = Date.parse('2026-11-23T12:00:00Z');
const DAY = 86_400_000;
let clock: number;
let h: Harness;

const AUDIT = `query ($action: String, $first: Int) { auditLog(action: $action, first: $first) {
  nodes { actor action userId deviceId outcome count at lastAt } totalCount } }`;
const ACTIVATE = `mutation ($u: Int!, $d: Int!) { activateDevice(userId: $u, deviceId: $d) { status } }`;

function auditRows(): number {
  return h.registry.contents().find(([table]) => table === 'audit_log')![1].length;
}

beforeEach(() => {
  clock = T0;
  h = createHarness({ now: () => clock, env: { WGNODE_RATE_LIMIT_PER_S: '0' } });
});

describe('repeated refusals', () => {
  it('1,000 refused requests from one token write a bounded number of audit rows, and the count says how many', async () => {
    for (let i = 0; i < 500; i++) {
      // 1,000 requests over 10 minutes: 500 forbidden mutations (read token), 500 refused disconnects (nothing to end).
      clock = T0 + i * 1200;
      expect((await h.gql(ACTIVATE, { u: 1, d: 1 }, READ_TOKEN)).status).toBe(403);
      expect((await h.gql(DISCONNECT, { userId: 7, deviceId: 7 })).status).toBe(400);
    }
    // One row per kind of refusal per minute at most: 2 × 10, not 2,000.
    expect(auditRows()).toBeLessThanOrEqual(20);
    const res = await h.gql(AUDIT, { first: 100 }, READ_TOKEN);
    const nodes = res.body.data.auditLog.nodes as Array<{ actor: string; outcome: string; count: number }>;
    const total = (actor: string) => nodes.filter((n) => n.actor === actor).reduce((sum, n) => sum + n.count, 0);
    expect(total('monitor')).toBe(500);
    expect(total('admin-token')).toBe(500);
    expect(nodes.every((n) => n.outcome.startsWith('refused:'))).toBe(true);
  });

  it('keeps refusals of different targets, actors or outcomes on their own rows', async () => {
    await h.gql(DISCONNECT, { userId: 7, deviceId: 7 });
    await h.gql(DISCONNECT, { userId: 7, deviceId: 8 });
    await h.gql(DISCONNECT, { userId: 7, deviceId: 7 });
    await h.gql(ACTIVATE, { u: 7, d: 7 }, READ_TOKEN);
    const nodes = (await h.gql(AUDIT, {}, READ_TOKEN)).body.data.auditLog.nodes;
    expect(nodes.map((n: any) => [n.actor, n.deviceId, n.count])).toEqual([
      ['monitor', null, 1],
      ['admin-token', 8, 1],
      ['admin-token', 7, 2],
    ]);
    expect(nodes[2].lastAt).toBe(new Date(T0).toISOString());
    expect(nodes[0].lastAt).toBeNull();
  });

  it('never aggregates state changes: every successful revocation has its own row', async () => {
    await seedDevice(h, 1, 1, [testKey(1)]);
    await h.gql(DISCONNECT, { userId: 1, deviceId: 1 });
    await seedDevice(h, 1, 1, [testKey(2)]);
    await h.gql(DISCONNECT, { userId: 1, deviceId: 1 });
    const res = (await h.gql(AUDIT, { action: 'disconnect' }, READ_TOKEN)).body.data.auditLog;
    expect(res.totalCount).toBe(2);
    expect(res.nodes.every((n: any) => n.count === 1 && n.outcome === 'ok')).toBe(true);
  });
});

describe('history retention', () => {
  it('prunes ENDED sessions and audit rows older than the retention, in batches, and keeps live sessions', async () => {
    h = createHarness({ now: () => clock, env: { WGNODE_HISTORY_RETENTION_DAYS: '30' } });
    await seedDevice(h, 1, 1, [testKey(1), testKey(2), testKey(3)]);
    await h.gql(DISCONNECT, { userId: 1, deviceId: 1 }); // three ENDED sessions, at T0
    clock = T0 + 20 * DAY;
    await seedDevice(h, 2, 1, [testKey(4)]); // ACTIVE, started at day 20
    const before = h.registry.contents().find(([t]) => t === 'audit_log')![1].length;

    clock = T0 + 29 * DAY;
    expect(await h.agent.retention.runOnce()).toEqual({ sessions: 0, audit: 0 });

    clock = T0 + 31 * DAY;
    // At T0: activate, connect ×3 and the disconnect; the day-20 rows stay.
    expect(await h.agent.retention.runOnce()).toEqual({ sessions: 3, audit: 5 });
    const sessions = h.registry.sessions.list({}, 100, null);
    expect(sessions.map((s) => [s.publicKey, s.status])).toEqual([[testKey(4), 'ACTIVE']]);
    expect(auditRows()).toBe(before - 5);

    // A year later the ACTIVE session is still there; only history went.
    clock = T0 + 400 * DAY;
    await h.agent.retention.runOnce();
    expect(h.registry.sessions.list({}, 100, null).map((s) => s.status)).toEqual(['ACTIVE']);
    expect(auditRows()).toBe(0);
  });

  it('deletes a large backlog in many small transactions', async () => {
    h = createHarness({ now: () => clock, env: { WGNODE_HISTORY_RETENTION_DAYS: '1' } });
    h.registry.transaction(() => {
      for (let i = 0; i < 1234; i++) h.registry.audit.record({ at: T0, actor: 'x', action: 'activate', outcome: 'ok' });
    });
    let transactions = 0;
    const transaction = h.registry.transaction.bind(h.registry);
    h.registry.transaction = (fn) => (transactions++, transaction(fn));
    clock = T0 + 2 * DAY;
    expect((await h.agent.retention.runOnce()).audit).toBe(1234);
    expect(transactions).toBeGreaterThanOrEqual(3); // 500 rows at most per transaction
    expect(auditRows()).toBe(0);
  });

  it('keeps everything with WGNODE_HISTORY_RETENTION_DAYS=0', async () => {
    h = createHarness({ now: () => clock, env: { WGNODE_HISTORY_RETENTION_DAYS: '0' } });
    await seedDevice(h, 1, 1, [testKey(1)]);
    await h.gql(DISCONNECT, { userId: 1, deviceId: 1 });
    clock = T0 + 10_000 * DAY;
    expect(await h.agent.retention.runOnce()).toEqual({ sessions: 0, audit: 0 });
    expect(h.registry.sessions.list({}, 100, null)).toHaveLength(1);
  });

  it('never prunes a pending intent, however old', async () => {
    h = createHarness({ now: () => clock, env: { WGNODE_HISTORY_RETENTION_DAYS: '1' } });
    h.registry.audit.record({ at: T0, actor: 'x', action: 'disconnect', outcome: 'pending' });
    clock = T0 + 100 * DAY;
    expect((await h.agent.retention.runOnce()).audit).toBe(0);
    expect(auditRows()).toBe(1);
  });
});

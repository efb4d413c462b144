// Draining: new connects refused with NODE_DRAINING (503), sessions and revocations served, the
// state reported (node query, /readyz, metrics) and kept across a restart, and a deadline that
// ends the remaining sessions in batches (a fake clock drives the steps).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createAgent } from '../../src/agent.js';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/logger.js';
import { createDrainer } from '../../src/sessions/index.js';
import { CONNECT, DISCONNECT, createHarness, seedDevice } from '../support/harness.js';
import { FakeRunner } from '../support/fake-runner.js';
import { testKey } from '../support/keys.js';
import { sessionRows } from '../support/registry-rows.js';

const DRAIN = `mutation ($reason: String, $deadlineS: Int) { drainNode(reason: $reason, deadlineS: $deadlineS) }`;
const UNDRAIN = `mutation { undrainNode }`;
const NODE = `{ node { draining { since reason deadline } } }`;

describe('a draining node', () => {
  it('refuses new connects with NODE_DRAINING (503), keeps its sessions and serves revocations', async () => {
    const h = createHarness();
    await seedDevice(h, 1, 1, [testKey(1)]);
    await seedDevice(h, 2, 1, [testKey(2)]);
    expect((await h.gql(DRAIN, { reason: 'maintenance' })).body.data.drainNode).toBe(true);

    const refused = await h.gql(CONNECT, { userId: 1, deviceId: 1, publicKey: testKey(3) });
    expect(refused.status).toBe(503);
    expect(refused.body.errors[0].extensions.code).toBe('NODE_DRAINING');
    expect(h.registry.audit.list({ action: 'connect' }, 10, null)[0]).toMatchObject({ outcome: 'refused:NODE_DRAINING' });
    // A retry of a connect that already succeeded still gets its session.
    const retry = await h.gql(CONNECT, { userId: 1, deviceId: 1, publicKey: testKey(1) });
    expect(retry.status).toBe(200);
    expect(h.runner.peers.size).toBe(2);

    expect((await h.gql(DISCONNECT, { userId: 2, deviceId: 1 })).body.data.disconnectByUserIdAndDeviceId).toBe(true);
    expect(h.runner.peers.size).toBe(1);

    expect((await h.gql(UNDRAIN)).body.data.undrainNode).toBe(true);
    expect((await h.gql(CONNECT, { userId: 2, deviceId: 1, publicKey: testKey(3) })).status).toBe(200);
  });

  it('reports draining in the node query, /readyz (still ready) and metrics', async () => {
    let now = Date.parse('2030-01-01T00:00:00Z');
    const h = createHarness({ now: () => now });
    expect((await h.gql(NODE)).body.data.node.draining).toBeNull();
    expect(await h.agent.metrics.render()).toMatch(/^wgnode_draining 0$/m);
    await h.gql(DRAIN, { reason: 'kernel upgrade', deadlineS: 600 });
    now += 1000;
    expect((await h.gql(NODE)).body.data.node.draining).toEqual({
      since: '2030-01-01T00:00:00.000Z',
      reason: 'kernel upgrade',
      deadline: '2030-01-01T00:10:00.000Z',
    });
    expect(await h.agent.metrics.render()).toMatch(/^wgnode_draining 1$/m);
    const readyz = await h.app.request('/readyz');
    const body = (await readyz.json()) as { checks: Record<string, { ok: boolean; detail?: string }> };
    expect(body.checks.draining).toEqual({ ok: true, detail: expect.stringMatching(/^draining since 2030-01-01T00:00:00.000Z: new connects are refused/) as unknown });
    // Draining again keeps `since`; undrain clears it.
    await h.gql(DRAIN, { reason: 'still upgrading' });
    expect((await h.gql(NODE)).body.data.node.draining).toMatchObject({ since: '2030-01-01T00:00:00.000Z', reason: 'still upgrading', deadline: null });
    await h.gql(UNDRAIN);
    expect((await h.gql(NODE)).body.data.node.draining).toBeNull();
    expect(((await (await h.app.request('/readyz')).json()) as { checks: object }).checks).not.toHaveProperty('draining');
    expect(h.registry.audit.list({}, 10, null).map((a) => a.action).slice(0, 3)).toEqual(['undrain', 'drain', 'drain']);
  });

  it('needs the admin scope and a sane deadline', async () => {
    const h = createHarness();
    expect((await h.gql(DRAIN, {}, 'test-read-token-0123456789')).status).toBe(403);
    const bad = await h.gql(DRAIN, { deadlineS: -1 });
    expect(bad.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect((await h.gql(NODE)).body.data.node.draining).toBeNull();
  });
});

describe('the drain deadline', () => {
  it('ends the remaining sessions in batches spread until the deadline, through the disconnect path', async () => {
    let now = 1_000_000;
    const h = createHarness({ now: () => now });
    for (let u = 1; u <= 10; u++) await seedDevice(h, u, 1, [testKey(u)]);
    const drainer = createDrainer({ registry: h.registry, peers: h.agent.peers, log: silentLogger, now: () => now, maxDevicesPerUser: 10 }, { stepMs: 5_000 });
    expect(await drainer.runOnce()).toBe(0); // not draining
    await h.gql(DRAIN, { reason: 'move', deadlineS: 20 });
    // 4 steps left: ceil(10 / 4) = 3; then ceil(7 / 3), ceil(4 / 2), ceil(2 / 1); then nothing is left.
    const batches = [await drainer.runOnce()];
    for (let step = 1; step <= 4; step++) {
      now += 5_000;
      batches.push(await drainer.runOnce());
    }
    expect(batches).toEqual([3, 3, 2, 2, 0]);
    expect(sessionRows(h.registry, { status: 'ACTIVE' })).toEqual([]);
    expect(h.runner.peers.size).toBe(0);
    const ended = sessionRows(h.registry, { status: 'ENDED' });
    expect(ended).toHaveLength(10);
    expect(new Set(ended.map((s) => `${s.endReason}/${s.endedBy}`))).toEqual(new Set(['drained/drain']));
    // Never all at once: every batch its own `wg set` (removals of one batch share calls).
    expect(h.runner.setCalls().filter((argv) => argv.includes('remove')).length).toBeGreaterThanOrEqual(4);
  });

  it('a late step (past the deadline) ends all that remain; no deadline ends nothing', async () => {
    let now = 0;
    const h = createHarness({ now: () => now });
    for (let u = 1; u <= 4; u++) await seedDevice(h, u, 1, [testKey(u)]);
    const drainer = createDrainer({ registry: h.registry, peers: h.agent.peers, log: silentLogger, now: () => now, maxDevicesPerUser: 10 }, { stepMs: 5_000 });
    await h.gql(DRAIN, {});
    now += 3_600_000;
    expect(await drainer.runOnce()).toBe(0);
    await h.gql(DRAIN, { deadlineS: 10 });
    now += 60_000;
    expect(await drainer.runOnce()).toBe(4);
  });
});

describe('draining survives a restart', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('the state is in node_state: a restarted node still refuses connects', async () => {
    dir = mkdtempSync(join(tmpdir(), 'wgnode-drain-'));
    const config = loadConfig({ WGNODE_DB: join(dir, 'r.db'), WGNODE_SOCKET: 'off', WGNODE_ADMIN_TOKEN: 'drain-admin-token-0123456789' });
    const compose = () => createAgent(config, { runner: new FakeRunner(), log: silentLogger });
    const gql = async (agent: ReturnType<typeof compose>, query: string, variables?: object) => {
      const res = await agent.app.request('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer drain-admin-token-0123456789' },
        body: JSON.stringify({ query, variables }),
      });
      return { status: res.status, body: (await res.json()) as { data?: Record<string, unknown>; errors?: Array<{ extensions: { code: string } }> } };
    };
    const first = compose();
    await gql(first, `mutation { activateDevice(userId: 1, deviceId: 1) { status } }`);
    await gql(first, DRAIN, { reason: 'decommission', deadlineS: 3600 });
    await first.stop();

    const second = compose();
    const refused = await gql(second, CONNECT, { userId: 1, deviceId: 1, publicKey: testKey(1) });
    expect(refused.status).toBe(503);
    expect(refused.body.errors?.[0]?.extensions.code).toBe('NODE_DRAINING');
    expect((await gql(second, NODE)).body.data?.node).toMatchObject({ draining: { reason: 'decommission' } });
    await second.stop();
  });
});

// What the reconciler shows the outside: the reconcileReport query (persisted across restarts),
// /readyz, and never the interface's private key.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createAgent } from '../../src/agent.js';
import { loadConfig } from '../../src/config.js';
import { FAKE_INTERFACE_PRIVATE_KEY, FakeRunner } from '../support/fake-runner.js';
import { createHarness, READ_TOKEN, seedDevice, type Harness } from '../support/harness.js';
import { testKey } from '../support/keys.js';

const REPORT = `{ reconcileReport { at durationMs ok error peersOnInterface removedUnknownPeers finishedIntents restoredPeers endedIdleSessions handshakesRecorded } }`;
const T0 = Date.parse('2026-11-23T12:00:00Z');
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('reconcileReport', () => {
  it('is null before the first pass, then the last pass, readable with the read scope', async () => {
    const h = createHarness({ now: () => T0 });
    expect((await h.gql(REPORT, {}, READ_TOKEN)).body).toEqual({ data: { reconcileReport: null } });
    await seedDevice(h, 1, 1, [testKey(1)]);
    h.runner.peers.set(testKey(9), { allowedIps: '10.9.9.9/32', latestHandshake: 0, rxBytes: 0, txBytes: 0 });
    await h.agent.reconciler.runOnce();
    expect((await h.gql(REPORT, {}, READ_TOKEN)).body.data.reconcileReport).toEqual({
      at: '2026-11-23T12:00:00.000Z',
      durationMs: 0,
      ok: true,
      error: null,
      peersOnInterface: 2,
      removedUnknownPeers: 1,
      finishedIntents: 0,
      restoredPeers: 0,
      endedIdleSessions: 0,
      handshakesRecorded: 0,
    });
  });

  it('survives a restart (kept in node_state)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wgnode-report-'));
    dirs.push(dir);
    const env = { WGNODE_DB: join(dir, 'wgnode.db') };
    const first = createHarness({ env });
    first.runner.failWhen = (argv) => argv.includes('dump');
    const failed = await first.agent.reconciler.runOnce();
    await first.agent.stop();

    const second = createHarness({ env });
    const report = (await second.gql(REPORT)).body.data.reconcileReport;
    expect(report).toMatchObject({ ok: false, at: failed.at });
    expect(report.error).toContain('simulated failure');
    await second.agent.stop();
  });

  it('hands metrics every report through onReport', async () => {
    const seen: boolean[] = [];
    const runner = new FakeRunner();
    const agent = createAgent(loadConfig({ WGNODE_DB: ':memory:' }), { runner, log: pino({ level: 'silent' }), onReconcileReport: (r) => seen.push(r.ok) });
    await agent.reconciler.runOnce();
    runner.interfaceExists = false;
    await agent.reconciler.runOnce();
    expect(seen).toEqual([true, false]);
  });
});

describe('/readyz and /livez', () => {
  let clock = T0;
  const readyz = async (h: Harness) => {
    const res = await h.app.request('/readyz');
    return { status: res.status, body: (await res.json()) as { status: string; checks: Record<string, { ok: boolean; detail?: string }> } };
  };

  it('is not ready before a reconcile pass, ready after one, and not ready once passes stop succeeding', async () => {
    clock = T0;
    const h = createHarness({ env: { WGNODE_RECONCILE_INTERVAL_MS: '1000' }, now: () => clock });
    const before = await readyz(h);
    expect(before.status).toBe(503);
    expect(before.body.checks.reconcile).toEqual({ ok: false, detail: 'no reconcile pass has succeeded since start-up' });

    await h.agent.reconciler.runOnce();
    expect(await readyz(h)).toEqual({
      status: 200,
      body: { status: 'ready', checks: { database: { ok: true }, interface: { ok: true }, reconcile: { ok: true } } },
    });

    // wg fails: one failed pass within three intervals of a success is tolerated, then not.
    h.runner.failWhen = (argv) => argv.includes('wg');
    clock = T0 + 2000;
    await h.agent.reconciler.runOnce();
    expect((await readyz(h)).status).toBe(200);
    clock = T0 + 3001;
    await h.agent.reconciler.runOnce();
    const stale = await readyz(h);
    expect(stale.status).toBe(503);
    expect(stale.body.checks.reconcile!.detail).toBe(
      'the last successful reconcile pass was 3001 ms ago; the last pass failed (see the reconcileReport query or the log)',
    );
    // The unauthenticated probe names no command and repeats no stderr; the authenticated report does.
    expect(JSON.stringify(stale.body)).not.toMatch(/wg exited|simulated failure/);
    const report = await h.gql(`{ reconcileReport { ok error } }`);
    expect(report.body.data.reconcileReport).toEqual({ ok: false, error: 'wg exited with 1: simulated failure' });
    expect((await h.app.request('/livez')).status).toBe(200);
  });

  it('says which check failed: the interface, the database', async () => {
    const h = createHarness();
    await h.agent.reconciler.runOnce();
    h.runner.interfaceExists = false;
    expect((await readyz(h)).body.checks.interface).toEqual({ ok: false, detail: 'interface wg0 does not exist' });
    h.registry.close();
    const closed = await readyz(h);
    expect(closed.status).toBe(503);
    expect(closed.body.checks.database!.ok).toBe(false);
    expect((await h.app.request('/livez')).status).toBe(200);
  });
});

describe('the interface private key', () => {
  it('never reaches a log line, the stored report, or an answer', async () => {
    let logged = '';
    const sink = new Writable({ write: (chunk, _enc, done) => ((logged += String(chunk)), done()) });
    const runner = new FakeRunner();
    const agent = createAgent(loadConfig({ WGNODE_DB: ':memory:', WGNODE_ADMIN_TOKEN: 'admin-token-0123456789' }), {
      runner,
      log: pino({ level: 'trace' }, sink),
    });
    const headers = { 'content-type': 'application/json', authorization: 'Bearer admin-token-0123456789' };
    const gql = async (query: string) => (await agent.app.request('/graphql', { method: 'POST', headers, body: JSON.stringify({ query }) })).text();
    await gql(`mutation { activateDevice(userId: 1, deviceId: 1) { status } }`);
    await gql(`mutation { connectDevice(userId: 1, deviceId: 1, publicKey: "${testKey(1)}") { id } }`);
    runner.peers.clear();
    runner.peers.set(testKey(2), { allowedIps: '10.9.9.9/32', latestHandshake: 0, rxBytes: 0, txBytes: 0 });
    await agent.reconciler.runOnce(); // repairs: logged
    runner.failWhen = (argv) => argv.includes('set');
    expect(await gql(`mutation { deactivateDevice(userId: 1, deviceId: 1) }`)).toContain('REMOVAL_PENDING');
    await agent.reconciler.runOnce(); // fails: logged
    const answers = (await gql(REPORT)) + (await gql(`{ node { publicKey listenPort } }`));
    const stored = JSON.stringify(agent.registry.contents().find(([table]) => table === 'node_state')![1]);

    expect(logged).toContain('reconcile pass');
    expect(answers).toContain('nodePublicKey');
    for (const text of [logged, answers, stored]) expect(text).not.toContain(FAKE_INTERFACE_PRIVATE_KEY);
  });
});

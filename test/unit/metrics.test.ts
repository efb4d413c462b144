// GET /metrics: who may read it, and every family it promises (requests, commands, removals per
// wg set, reconcile, session gauges, peers on the interface, process defaults), on a registry of
// the agent's own.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAgent } from '../../src/agent.js';
import { hashToken } from '../../src/auth/static-tokens.js';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/logger.js';
import { listenForMetrics, type MetricsListener } from '../../src/metrics/index.js';
import { FakeRunner } from '../support/fake-runner.js';
import { ADMIN_TOKEN, createHarness, DISCONNECT, READ_TOKEN, seedDevice, type Harness } from '../support/harness.js';
import { testKey } from '../support/keys.js';
import { sampleValue } from '../support/prometheus.js';

const T0 = Date.parse('2026-11-23T12:00:00Z');
let clock: number;
let h: Harness;

beforeEach(() => {
  clock = T0;
  h = createHarness({ now: () => clock });
});

async function scrape(harness: Harness = h, token: string | null = READ_TOKEN) {
  const headers: Record<string, string> = token === null ? {} : { authorization: `Bearer ${token}` };
  const res = await harness.app.request('/metrics', { headers });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

describe('GET /metrics: access', () => {
  it('answers Prometheus text to a read token and to an admin token', async () => {
    for (const token of [READ_TOKEN, ADMIN_TOKEN]) {
      const res = await scrape(h, token);
      expect(res.status).toBe(200);
      expect(res.type).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(res.text).toContain('# TYPE wgnode_request_duration_seconds histogram');
    }
  });

  it('refuses a request without a credential (401) and a credential without read or admin (403)', async () => {
    expect((await scrape(h, null)).status).toBe(401);
    expect((await scrape(h, 'not-a-token-at-all-xxxxxxxx')).status).toBe(401);
    const agent = createAgent(loadConfig({ WGNODE_DB: ':memory:', WGNODE_SOCKET: 'off' }), {
      runner: new FakeRunner(),
      log: silentLogger,
      tokens: [{ name: 'provisioner', sha256: hashToken('provision-only-token-0123456789'), scopes: ['provision'] }],
    });
    const res = await agent.app.request('/metrics', { headers: { authorization: 'Bearer provision-only-token-0123456789' } });
    expect(res.status).toBe(403);
    expect(((await res.json()) as any).errors[0].extensions.code).toBe('FORBIDDEN');
    await agent.stop();
  });

  it('serves without a credential on the optional 127.0.0.1 listener, and nothing else there', async () => {
    let listener: MetricsListener | null = null;
    try {
      listener = await listenForMetrics({ port: 0, metrics: h.agent.metrics, log: silentLogger });
      const ok = await fetch(`http://127.0.0.1:${listener.port}/metrics`);
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain('wgnode_sessions_active');
      expect((await fetch(`http://127.0.0.1:${listener.port}/graphql`)).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${listener.port}/metrics`, { method: 'POST' })).status).toBe(404);
    } finally {
      await listener?.close();
    }
  });
});

describe('GET /metrics: families', () => {
  it('counts requests by GraphQL root field and outcome (ok or the error code), with latency buckets', async () => {
    await seedDevice(h, 1, 1, [testKey(1)]);
    expect((await h.gql(DISCONNECT, { userId: 1, deviceId: 1 })).status).toBe(200);
    expect((await h.gql(DISCONNECT, { userId: 1, deviceId: 1 })).status).toBe(400); // SESSION_NOT_FOUND
    expect((await h.gql(DISCONNECT, { userId: 1, deviceId: 1 }, null)).status).toBe(401);
    expect((await h.gql('{ nope }')).status).toBe(400);
    const { text } = await scrape();
    const count = (operation: string, outcome: string) =>
      sampleValue(text, 'wgnode_request_duration_seconds_count', { operation, outcome });
    expect(count('disconnectByUserIdAndDeviceId', 'ok')).toBe(1);
    expect(count('disconnectByUserIdAndDeviceId', 'SESSION_NOT_FOUND')).toBe(1);
    expect(count('connectDevice', 'ok')).toBe(1);
    expect(count('activateDevice', 'ok')).toBe(1);
    expect(count('graphql', 'UNAUTHENTICATED')).toBe(1);
    expect(count('nope', 'GRAPHQL_VALIDATION_FAILED')).toBe(1);
    expect(sampleValue(text, 'wgnode_request_duration_seconds_bucket', { operation: 'connectDevice', outcome: 'ok', le: '+Inf' })).toBe(1);
  });

  it('times wg and ip commands, counts failures by reason, and histograms the removals each wg set carries', async () => {
    await seedDevice(h, 1, 1, [testKey(1), testKey(2), testKey(3)]);
    expect((await h.gql(DISCONNECT, { userId: 1, deviceId: 1 })).status).toBe(200);
    await seedDevice(h, 2, 1, [testKey(4)]);
    h.runner.failWhen = (argv) => argv.includes('remove');
    expect((await h.gql(DISCONNECT, { userId: 2, deviceId: 1 })).status).toBe(503);
    h.runner.failWhen = null;
    const { text } = await scrape();

    const sets = sampleValue(text, 'wgnode_command_duration_seconds_count', { program: 'wg', subcommand: 'set' })!;
    expect(sets).toBeGreaterThanOrEqual(5); // 4 adds + 1 removal that worked + the failed one(s)
    expect(sampleValue(text, 'wgnode_command_failures_total', { program: 'wg', subcommand: 'set', reason: 'exit' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(text, 'wgnode_command_failures_total', { program: 'wg', subcommand: 'set', reason: 'timeout' })).toBeUndefined();
    // The three sessions of device 1/1 went in one call: one observation of 3.
    expect(sampleValue(text, 'wgnode_wg_set_peers_removed_count')).toBe(1);
    expect(sampleValue(text, 'wgnode_wg_set_peers_removed_sum')).toBe(3);
    expect(sampleValue(text, 'wgnode_wg_set_peers_removed_bucket', { le: '2' })).toBe(0);
    expect(sampleValue(text, 'wgnode_wg_set_peers_removed_bucket', { le: '5' })).toBe(1);
  });

  it('labels a command run in a network namespace by the program doing the work', async () => {
    const ns = createHarness({ env: { WGNODE_NETNS: 'wgnode-test' } });
    await seedDevice(ns, 1, 1, [testKey(1)]);
    expect(ns.runner.calls.some((argv) => argv[0] === 'ip' && argv[1] === 'netns')).toBe(true);
    const { text } = await scrape(ns);
    expect(sampleValue(text, 'wgnode_command_duration_seconds_count', { program: 'wg', subcommand: 'set' })).toBe(1);
    expect(sampleValue(text, 'wgnode_command_duration_seconds_count', { program: 'ip', subcommand: 'netns' })).toBeUndefined();
    await ns.agent.stop();
  });

  it('records reconcile passes: duration by outcome, repairs by kind, peers on the interface', async () => {
    await seedDevice(h, 1, 1, [testKey(1), testKey(2)]);
    h.runner.peers.set(testKey(9), { allowedIps: '10.64.9.9/32', latestHandshake: 0, rxBytes: 0, txBytes: 0 }); // unknown
    h.runner.peers.delete(testKey(2)); // an ACTIVE session's peer went missing
    await h.agent.reconciler.runOnce();
    h.runner.interfaceExists = false;
    await h.agent.reconciler.runOnce();
    const { text } = await scrape();

    expect(sampleValue(text, 'wgnode_reconcile_duration_seconds_count', { outcome: 'ok' })).toBe(1);
    expect(sampleValue(text, 'wgnode_reconcile_duration_seconds_count', { outcome: 'error' })).toBe(1);
    expect(sampleValue(text, 'wgnode_reconcile_repairs_total', { kind: 'removed_unknown_peer' })).toBe(1);
    expect(sampleValue(text, 'wgnode_reconcile_repairs_total', { kind: 'restored_peer' })).toBe(1);
    expect(sampleValue(text, 'wgnode_reconcile_repairs_total', { kind: 'finished_intent' })).toBe(0);
    expect(sampleValue(text, 'wgnode_reconcile_repairs_total', { kind: 'ended_idle_session' })).toBe(0);
    // From the successful pass's dump (the failed pass did not read one): the unknown peer and
    // the session whose peer was still there.
    expect(sampleValue(text, 'wgnode_peers_on_interface')).toBe(2);
    expect(sampleValue(text, 'wgnode_reconcile_last_success_timestamp_seconds')).toBe(T0 / 1000);
  });

  it('computes the session gauges at scrape time: active, ending, online', async () => {
    await seedDevice(h, 1, 1, [testKey(1), testKey(2)]);
    await seedDevice(h, 1, 2, [testKey(3)]);
    h.runner.peers.get(testKey(1))!.latestHandshake = T0 / 1000 - 30; // inside the 180 s window
    h.runner.peers.get(testKey(2))!.latestHandshake = T0 / 1000 - 600; // outside it
    await h.agent.reconciler.runOnce();
    let { text } = await scrape();
    expect(sampleValue(text, 'wgnode_sessions_active')).toBe(3);
    expect(sampleValue(text, 'wgnode_sessions_online')).toBe(1);
    expect(sampleValue(text, 'wgnode_sessions_ending')).toBe(0);

    h.runner.failWhen = (argv) => argv.includes('remove');
    expect((await h.gql(DISCONNECT, { userId: 1, deviceId: 2 })).status).toBe(503);
    clock += 200_000; // the handshake of testKey(1) is now too old as well
    ({ text } = await scrape());
    expect(sampleValue(text, 'wgnode_sessions_active')).toBe(2);
    expect(sampleValue(text, 'wgnode_sessions_ending')).toBe(1);
    expect(sampleValue(text, 'wgnode_sessions_online')).toBe(0);
  });

  it('includes the default process and Node.js metrics under their standard names', async () => {
    const { text } = await scrape();
    expect(sampleValue(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(text).toContain('# TYPE process_cpu_seconds_total counter');
    expect(text).toContain('# TYPE process_resident_memory_bytes gauge');
    expect(text).toContain('# TYPE nodejs_heap_size_used_bytes gauge');
    expect(text).toContain('# TYPE nodejs_eventloop_lag_seconds gauge');
    expect(text).not.toMatch(/^# TYPE wgnode_(process|nodejs)_/m);
  });

  it('names every metric of its own wgnode_*', async () => {
    const { text } = await scrape();
    const names = [...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!);
    const own = names.filter((name) => !/^(process|nodejs)_/.test(name));
    expect(own.length).toBeGreaterThan(5);
    expect(own.filter((name) => !name.startsWith('wgnode_'))).toEqual([]);
  });

  it('keeps each agent to its own registry: one agent’s requests never show in another’s metrics', async () => {
    const other = createHarness();
    await seedDevice(h, 1, 1, [testKey(1)]);
    const mine = await scrape(h);
    const theirs = await scrape(other);
    expect(sampleValue(mine.text, 'wgnode_request_duration_seconds_count', { operation: 'connectDevice', outcome: 'ok' })).toBe(1);
    expect(sampleValue(theirs.text, 'wgnode_request_duration_seconds_count', { operation: 'connectDevice', outcome: 'ok' })).toBeUndefined();
    await other.agent.stop();
  });
});

afterEach(async () => {
  await h.agent.stop();
});

// Structured logs: one line per request with its id, operation, outcome and duration; a safe
// incoming X-Request-Id is honoured, anything else replaced; credentials and keys never appear.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createAgent } from '../../src/agent.js';
import { hashToken } from '../../src/auth/static-tokens.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { FAKE_INTERFACE_PRIVATE_KEY, FakeRunner } from '../support/fake-runner.js';
import { CONNECT, DISCONNECT, seedDevice, type Harness } from '../support/harness.js';
import { testKey } from '../support/keys.js';

const TOKEN = 'log-test-admin-token-0123456789';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** An agent whose log lines land in `lines` (parsed JSON) and `raw` (exactly as written). */
function capturedAgent(level = 'info') {
  const raw: string[] = [];
  const log = createLogger({ level, destination: { write: (chunk: string) => void raw.push(chunk) } });
  const runner = new FakeRunner();
  const agent = createAgent(loadConfig({ WGNODE_DB: ':memory:' }), {
    runner,
    log,
    tokens: [{ name: 'ops-admin', sha256: hashToken(TOKEN), scopes: ['admin'] }],
  });
  const lines = () => raw.map((line) => JSON.parse(line) as Record<string, any>);
  const requests = () => lines().filter((line) => line.msg === 'request');
  async function gql(query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
    const res = await agent.app.request('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, ...headers },
      body: JSON.stringify({ query, variables }),
    });
    const text = await res.text();
    return Object.assign(res, { bodyText: text });
  }
  // seedDevice only needs gql with the harness's signature.
  const harness = { gql: async (q: string, v?: Record<string, unknown>) => {
    const res = await gql(q, v);
    return { status: res.status, text: res.bodyText, body: JSON.parse(res.bodyText), headers: res.headers };
  } } as unknown as Harness;
  return { agent, runner, raw, lines, requests, gql, harness };
}

describe('request log lines', () => {
  it('writes one JSON line per request: id, operation, outcome, status, duration, actor', async () => {
    const t = capturedAgent();
    await t.gql(CONNECT, { userId: 1, deviceId: 1, publicKey: testKey(1) }); // device not active: refused
    const [line] = t.requests();
    expect(t.requests()).toHaveLength(1);
    expect(line).toMatchObject({
      level: 30,
      service: 'wgnode',
      method: 'POST',
      path: '/graphql',
      operation: 'connectDevice',
      outcome: 'NOT_FOUND',
      status: 400,
      actor: 'ops-admin',
    });
    expect(line!.reqId).toMatch(UUID);
    expect(typeof line!.durationMs).toBe('number');
    expect(line!.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('honours a safe incoming X-Request-Id and echoes it in the response', async () => {
    const t = capturedAgent();
    const res = await t.gql('{ node { interface } }', {}, { 'x-request-id': 'cp-7f3a.retry_2' });
    expect(res.headers.get('x-request-id')).toBe('cp-7f3a.retry_2');
    expect(t.requests()[0]).toMatchObject({ reqId: 'cp-7f3a.retry_2', operation: 'node', outcome: 'ok' });
  });

  it('replaces an unsafe or oversized X-Request-Id with a fresh one, and echoes the replacement', async () => {
    const t = capturedAgent();
    for (const unsafe of ['has spaces', 'x'.repeat(65), '<script>', 'a"b', '']) {
      const res = await t.gql('{ node { interface } }', {}, { 'x-request-id': unsafe });
      const echoed = res.headers.get('x-request-id')!;
      expect(echoed).toMatch(UUID);
      expect(t.requests().at(-1)!.reqId).toBe(echoed);
    }
  });

  it('labels requests that never reach GraphQL by route and status', async () => {
    const t = capturedAgent();
    await t.agent.app.request('/graphql', { method: 'POST', body: '{}' });
    await t.agent.app.request('/no/such/path');
    expect(t.requests().map((l) => [l.operation, l.outcome, l.status])).toEqual([
      ['graphql', 'UNAUTHENTICATED', 401],
      ['other', 'NOT_FOUND', 404],
    ]);
  });

  it('logs probes at debug, so info stays about real work', async () => {
    const info = capturedAgent('info');
    await info.agent.app.request('/livez');
    expect(info.requests()).toHaveLength(0);
    const debug = capturedAgent('debug');
    await debug.agent.app.request('/livez');
    expect(debug.requests()[0]).toMatchObject({ operation: 'livez', outcome: 'ok', level: 20 });
  });

  it('writes no request lines at level warn (the benchmark setting)', async () => {
    const t = capturedAgent('warn');
    await t.gql('{ node { interface } }');
    expect(t.requests()).toHaveLength(0);
  });
});

describe('secrets never reach the log', () => {
  it('redacts credentials and keys by path', () => {
    const raw: string[] = [];
    const log = createLogger({ destination: { write: (chunk: string) => void raw.push(chunk) } });
    log.info(
      { authorization: `Bearer ${TOKEN}`, headers: { authorization: `Bearer ${TOKEN}` }, token: TOKEN, config: { adminToken: TOKEN }, peer: { privateKey: 'K' } },
      'with secrets',
    );
    const line = JSON.parse(raw[0]!);
    expect(line.authorization).toBe('[redacted]');
    expect(line.headers.authorization).toBe('[redacted]');
    expect(line.token).toBe('[redacted]');
    expect(line.config.adminToken).toBe('[redacted]');
    expect(line.peer.privateKey).toBe('[redacted]');
    expect(raw.join('')).not.toContain(TOKEN);
  });

  it('keeps the token and the interface private key out of every line of a busy session', async () => {
    const t = capturedAgent('trace');
    await seedDevice(t.harness, 1, 1, [testKey(1), testKey(2)]);
    t.runner.failWhen = (argv) => argv.includes('remove');
    await t.gql(DISCONNECT, { userId: 1, deviceId: 1 }); // logs the failed removal
    t.runner.failWhen = null;
    await t.agent.reconciler.runOnce(); // reads the dump, whose first line holds the private key
    await t.gql('{ node { interface } }', {}, { authorization: `Bearer ${TOKEN}x` }); // a wrong token
    await t.agent.app.request('/metrics', { headers: { authorization: `Bearer ${TOKEN}` } });
    const all = t.raw.join('');
    expect(t.requests().length).toBeGreaterThanOrEqual(6);
    expect(all).toContain('peer removal failed');
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain(FAKE_INTERFACE_PRIVATE_KEY);
  });
});

describe('logger configuration', () => {
  it('WGNODE_LOG_LEVEL accepts pino levels and refuses anything else, naming the variable', () => {
    expect(loadConfig({ WGNODE_LOG_LEVEL: 'warn' }).logLevel).toBe('warn');
    expect(loadConfig({}).logLevel).toBe('info');
    expect(() => loadConfig({ WGNODE_LOG_LEVEL: 'verbose' })).toThrow(ConfigError);
    expect(() => loadConfig({ WGNODE_LOG_LEVEL: 'verbose' })).toThrow(/WGNODE_LOG_LEVEL/);
  });

  it('writes human-readable lines when asked for pretty output', async () => {
    const raw: string[] = [];
    const sink = new Writable({ write: (chunk, _encoding, done) => (raw.push(String(chunk)), done()) });
    const log = createLogger({ pretty: true, destination: sink });
    log.info({ operation: 'node' }, 'hello operator');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const text = raw.join('');
    expect(text).toContain('hello operator');
    expect(() => JSON.parse(text)).toThrow();
  });
});

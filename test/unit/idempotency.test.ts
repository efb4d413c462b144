// Idempotency-Key on mutations: the first answer is stored in the registry and replayed exactly;
// a different payload under the same key is 422, a repeat while the first runs is 409, a bad key
// is 400; keys belong to one credential, expire after the TTL, and survive a restart.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createAgent } from '../../src/agent.js';
import { hashToken } from '../../src/auth/static-tokens.js';
import { loadConfig } from '../../src/config.js';
import { fingerprint, parseIdempotencyKey } from '../../src/idempotency/keys.js';
import { silentLogger } from '../../src/logger.js';
import { FakeRunner } from '../support/fake-runner.js';
import { ACTIVATE, CONNECT, DEACTIVATE, DISCONNECT } from '../support/harness.js';
import { testKey } from '../support/keys.js';

const ALICE = 'alice-admin-token-0123456789';
const BOB = 'bob-admin-token-0123456789';
const READER = 'reader-token-0123456789';

const agents: Array<ReturnType<typeof createAgent>> = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const agent of agents.splice(0)) await agent.stop();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function node(options: { env?: Record<string, string>; now?: () => number } = {}) {
  const runner = new FakeRunner();
  const agent = createAgent(loadConfig({ WGNODE_DB: ':memory:', ...options.env }), {
    runner,
    log: silentLogger,
    now: options.now,
    tokens: [
      { name: 'alice', sha256: hashToken(ALICE), scopes: ['admin'] },
      { name: 'bob', sha256: hashToken(BOB), scopes: ['admin'] },
      { name: 'reader', sha256: hashToken(READER), scopes: ['read'] },
    ],
  });
  agents.push(agent);

  async function send(query: string, variables: Record<string, unknown>, options: { key?: string; token?: string } = {}) {
    const headers: Record<string, string> = { 'content-type': 'application/json', authorization: `Bearer ${options.token ?? ALICE}` };
    if (options.key !== undefined) headers['idempotency-key'] = options.key;
    const res = await agent.app.request('/graphql', { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
    return { status: res.status, text: await res.text(), headers: res.headers, replayed: res.headers.get('idempotent-replayed') };
  }

  async function seed(userId: number, keys: string[]) {
    expect((await send(ACTIVATE, { userId, deviceId: 1 })).status).toBe(200);
    for (const publicKey of keys) expect((await send(CONNECT, { userId, deviceId: 1, publicKey })).status).toBe(200);
  }

  return { agent, runner, send, seed, registry: agent.registry };
}

const keyRows = (n: ReturnType<typeof node>) => n.registry.contents().find(([table]) => table === 'idempotency_keys')![1] as Array<Record<string, unknown>>;

describe('Idempotency-Key', () => {
  it('replays the first answer exactly, with Idempotent-Replayed: true, without running the mutation again', async () => {
    const n = node();
    await n.seed(1, [testKey(1)]);
    const first = await n.send(DISCONNECT, { userId: 1, deviceId: 1 }, { key: 'call-1' });
    expect([first.status, first.text, first.replayed]).toEqual([200, '{"data":{"disconnectByUserIdAndDeviceId":true}}', null]);
    const calls = n.runner.calls.length;

    const again = await n.send(DISCONNECT, { userId: 1, deviceId: 1 }, { key: 'call-1' });
    expect([again.status, again.text, again.replayed]).toEqual([first.status, first.text, 'true']);
    expect(again.headers.get('content-type')).toBe(first.headers.get('content-type'));
    expect(n.runner.calls.length).toBe(calls);
    expect(n.registry.audit.list({ action: 'disconnect' }, 10, null)).toHaveLength(1);
    // Without the key, the same request runs and gets the contract's answer for the state it finds.
    expect((await n.send(DISCONNECT, { userId: 1, deviceId: 1 })).status).toBe(400);
  });

  it('replays a 4xx domain answer too', async () => {
    const n = node();
    const first = await n.send(DEACTIVATE, { userId: 5, deviceId: 1 }, { key: 'k' });
    expect(first.status).toBe(400);
    expect(first.text).toContain('USER_NOT_FOUND');
    await n.seed(5, []);
    const again = await n.send(DEACTIVATE, { userId: 5, deviceId: 1 }, { key: 'k' });
    expect([again.status, again.text, again.replayed]).toEqual([400, first.text, 'true']);
    expect(n.registry.devices.get(5, 1)?.status).toBe('ACTIVE');
  });

  it('the same key with variables in another order is the same request; with other variables or another document, 422', async () => {
    const n = node();
    await n.seed(1, [testKey(1)]);
    await n.seed(2, [testKey(2)]);
    expect((await n.send(DISCONNECT, { userId: 1, deviceId: 1 }, { key: 'k' })).status).toBe(200);
    expect((await n.send(DISCONNECT, { deviceId: 1, userId: 1 }, { key: 'k' })).replayed).toBe('true');

    const otherVariables = await n.send(DISCONNECT, { userId: 2, deviceId: 1 }, { key: 'k' });
    expect(otherVariables.status).toBe(422);
    expect(JSON.parse(otherVariables.text)).toMatchObject({ errors: [{ extensions: { code: 'IDEMPOTENCY_KEY_REUSED' } }] });
    expect(otherVariables.replayed).toBeNull();
    expect((await n.send(DEACTIVATE, { userId: 1, deviceId: 1 }, { key: 'k' })).status).toBe(422);
    expect(n.runner.peers.has(testKey(2))).toBe(true);
    expect(n.registry.devices.get(1, 1)?.status).toBe('ACTIVE');
  });

  it('answers 409 to a repeat while the first is still running, then replays once it answered', async () => {
    const n = node();
    await n.seed(1, [testKey(1)]);
    let open!: () => void;
    const held = new Promise<void>((resolve) => (open = resolve));
    n.runner.delay = () => held;

    const first = n.send(DISCONNECT, { userId: 1, deviceId: 1 }, { key: 'slow' });
    while (!n.runner.calls.some((argv) => argv.includes('remove'))) await new Promise((r) => setImmediate(r));
    const concurrent = await n.send(DISCONNECT, { userId: 1, deviceId: 1 }, { key: 'slow' });
    expect(concurrent.status).toBe(409);
    expect(JSON.parse(concurrent.text)).toMatchObject({ errors: [{ extensions: { code: 'IDEMPOTENCY_KEY_IN_USE' } }] });
    expect(keyRows(n)).toMatchObject([{ key: 'slow', state: 'running' }]);

    open();
    expect((await first).status).toBe(200);
    const after = await n.send(DISCONNECT, { userId: 1, deviceId: 1 }, { key: 'slow' });
    expect([after.status, after.replayed]).toEqual([200, 'true']);
  });

  it('does not store a 503: the repeat with the same key runs again and answers true once wg works', async () => {
    const n = node();
    await n.seed(1, [testKey(1)]);
    n.runner.failWhen = (argv) => argv.includes('remove');
    const failed = await n.send(DISCONNECT, { userId: 1, deviceId: 1 }, { key: 'retry' });
    expect(failed.status).toBe(503);
    expect(keyRows(n)).toEqual([]);

    n.runner.failWhen = null;
    const retried = await n.send(DISCONNECT, { userId: 1, deviceId: 1 }, { key: 'retry' });
    expect([retried.status, retried.text, retried.replayed]).toEqual([200, '{"data":{"disconnectByUserIdAndDeviceId":true}}', null]);
    expect(n.runner.peers.size).toBe(0);
    expect((await n.send(DISCONNECT, { userId: 1, deviceId: 1 }, { key: 'retry' })).replayed).toBe('true');
  });

  it.each([
    ['empty', ''],
    ['256 characters', 'k'.repeat(256)],
    ['a control character', 'abc\u0001def'],
    ['a non-ASCII character', 'clé'],
  ])('answers 400 IDEMPOTENCY_KEY_INVALID to a key that is %s, running nothing', async (_, key) => {
    const n = node();
    await n.seed(1, [testKey(1)]);
    const calls = n.runner.calls.length;
    const res = await n.send(DISCONNECT, { userId: 1, deviceId: 1 }, { key });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text)).toEqual({
      errors: [{ message: 'Idempotency-Key must be 1 to 255 printable ASCII characters', extensions: { code: 'IDEMPOTENCY_KEY_INVALID' } }],
    });
    expect(n.runner.calls.length).toBe(calls);
  });

  it('accepts keys of 1 and 255 printable characters, bare or as a quoted sf-string', () => {
    expect(parseIdempotencyKey('a')).toBe('a');
    expect(parseIdempotencyKey('~'.repeat(255))).toBe('~'.repeat(255));
    expect(parseIdempotencyKey('"8e03978e-40d5"')).toBe('8e03978e-40d5');
    expect(parseIdempotencyKey('"a\\"b"')).toBe('a"b');
    expect(parseIdempotencyKey('""')).toBeNull();
  });

  it('ignores the header on queries (they are safe to repeat)', async () => {
    const n = node();
    const query = `query { node { interface } }`;
    const a = await n.send(query, {}, { key: '' });
    expect([a.status, a.replayed]).toEqual([200, null]);
    expect(keyRows(n)).toEqual([]);
  });

  it('scopes keys per credential: another caller with the same key runs its own request', async () => {
    const n = node();
    await n.seed(1, [testKey(1)]);
    await n.seed(2, [testKey(2)]);
    expect((await n.send(DISCONNECT, { userId: 1, deviceId: 1 }, { key: 'shared', token: ALICE })).status).toBe(200);

    const bob = await n.send(DISCONNECT, { userId: 2, deviceId: 1 }, { key: 'shared', token: BOB });
    expect([bob.status, bob.replayed]).toEqual([200, null]);
    expect(n.runner.peers.size).toBe(0);
    // Bob's same payload as Alice's is Bob's own request, never Alice's replay.
    const bobRepeat = await n.send(DISCONNECT, { userId: 1, deviceId: 1 }, { key: 'shared', token: BOB });
    expect(bobRepeat.status).toBe(422);
    expect(keyRows(n).map((r) => r.principal).sort()).toEqual(['alice', 'bob']);
  });

  it('a credential without the admin scope gets its 403, and nothing is stored', async () => {
    const n = node();
    const res = await n.send(DEACTIVATE, { userId: 1, deviceId: 1 }, { key: 'k', token: READER });
    expect(res.status).toBe(403);
    expect(keyRows(n)).toEqual([]);
  });

  it('forgets a key after WGNODE_IDEMPOTENCY_TTL_S: the repeat runs afresh, and pruning deletes the row', async () => {
    let clock = 1_700_000_000_000;
    const n = node({ env: { WGNODE_IDEMPOTENCY_TTL_S: '60' }, now: () => clock });
    await n.seed(1, [testKey(1)]);
    expect((await n.send(DISCONNECT, { userId: 1, deviceId: 1 }, { key: 'old' })).status).toBe(200);

    clock += 59_999;
    expect(await n.agent.idempotency.pruneExpired()).toBe(0);
    expect((await n.send(DISCONNECT, { userId: 1, deviceId: 1 }, { key: 'old' })).replayed).toBe('true');

    clock += 1;
    const fresh = await n.send(DISCONNECT, { userId: 1, deviceId: 1 }, { key: 'old' });
    expect([fresh.status, fresh.replayed]).toEqual([400, null]);
    expect(fresh.text).toContain('SESSION_NOT_FOUND');
    expect(keyRows(n)).toMatchObject([{ key: 'old', status: 400, created_at: clock }]);

    clock += 60_000;
    expect(await n.agent.idempotency.pruneExpired()).toBe(1);
    expect(keyRows(n)).toEqual([]);
  });

  it('prunes in batches until every expired key is gone', async () => {
    let clock = 1_700_000_000_000;
    const n = node({ env: { WGNODE_IDEMPOTENCY_TTL_S: '1' }, now: () => clock });
    for (let i = 0; i < 1203; i++) {
      n.registry.transaction(() => n.registry.idempotency.begin({ principal: 'alice', key: `k${i}`, fingerprint: 'f', owner: 'x', now: clock }));
    }
    clock += 1000;
    expect(await n.agent.idempotency.pruneExpired()).toBe(1203);
    expect(keyRows(n)).toEqual([]);
  });

  it('survives a restart: a new agent on the same registry file replays the answer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wgnode-idem-'));
    dirs.push(dir);
    const env = { WGNODE_DB: join(dir, 'wgnode.db') };
    const before = node({ env });
    await before.seed(1, [testKey(1)]);
    const first = await before.send(DEACTIVATE, { userId: 1, deviceId: 1 }, { key: 'across' });
    expect(first.status).toBe(200);
    await before.agent.stop();

    const after = node({ env });
    const again = await after.send(DEACTIVATE, { userId: 1, deviceId: 1 }, { key: 'across' });
    expect([again.status, again.text, again.replayed]).toEqual([200, first.text, 'true']);
    expect(after.runner.calls).toEqual([]);
  });

  it('a running row left by a crashed process does not block: the repeat runs the mutation again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wgnode-idem-'));
    dirs.push(dir);
    const env = { WGNODE_DB: join(dir, 'wgnode.db') };
    const crashed = node({ env });
    await crashed.seed(1, [testKey(1)]);
    const variables = { userId: 1, deviceId: 1 };
    // What a crash mid-mutation leaves: the running row of a process that no longer exists.
    crashed.registry.transaction(() =>
      crashed.registry.idempotency.begin({ principal: 'alice', key: 'crash', fingerprint: fingerprint({ query: DEACTIVATE, variables, actor: 'alice' }), owner: 'gone', now: Date.now() }),
    );
    await crashed.agent.stop();

    const restarted = node({ env });
    const res = await restarted.send(DEACTIVATE, variables, { key: 'crash' });
    expect([res.status, res.text, res.replayed]).toEqual([200, '{"data":{"deactivateDevice":true}}', null]);
    expect(keyRows(restarted)).toMatchObject([{ key: 'crash', state: 'done', status: 200 }]);
  });
});

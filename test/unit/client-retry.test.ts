// The client's retry rules against a local HTTP server that answers what each test scripts:
// which answers are retried, with which Idempotency-Key, after how long, and which are final.
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createNodeClient } from '../../src/client/index.js';
import { backoffDelay, parseRetryAfter } from '../../src/client/retry.js';

interface Seen {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

type Answer = (res: ServerResponse) => void;

const json = (status: number, payload: unknown, headers: Record<string, string> = {}): Answer => (res) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(payload));
};
const ok = (data: unknown, headers?: Record<string, string>) => json(200, { data }, headers);
const fail = (status: number, code: string, headers?: Record<string, string>) => json(status, { errors: [{ message: code, extensions: { code } }], data: null }, headers);
const hangUp: Answer = (res) => res.socket?.destroy();
const never: Answer = () => {};

let server: Server | null = null;

/** Serves `answers` in order (the last one repeats); records every request. */
async function script(...answers: Answer[]): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      seen.push({ headers: req.headers, body, at: performance.now() });
      (answers[seen.length - 1] ?? answers.at(-1)!)(res);
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

afterEach(async () => {
  const closing = server;
  server = null;
  if (!closing) return;
  closing.closeAllConnections();
  await new Promise((resolve) => closing.close(resolve));
});

const FAST = { retries: 3, baseDelayMs: 5, maxDelayMs: 20 };

describe('client retries', () => {
  it('retries a 503 and sends the same Idempotency-Key on both attempts', async () => {
    const { url, seen } = await script(fail(503, 'REMOVAL_PENDING'), ok({ deactivateDevice: true }));
    let minted = 0;
    const client = createNodeClient({ url, token: () => `jwt-${++minted}`, retry: FAST });
    const answer = await client.deactivateDevice({ userId: 1, deviceId: 2 });
    client.close();
    // A fresh bearer for each attempt (a short-lived JWT may have expired in between).
    expect(seen.map((s) => s.headers.authorization)).toEqual(['Bearer jwt-1', 'Bearer jwt-2']);
    expect(answer).toMatchObject({ ok: true, data: true, attempts: 2 });
    expect(seen).toHaveLength(2);
    const keys = seen.map((s) => s.headers['idempotency-key']);
    expect(keys[0]).toMatch(/^[\x21-\x7e]{1,255}$/);
    expect(keys[1]).toBe(keys[0]);
    expect(seen[1]!.body).toBe(seen[0]!.body);
  });

  it('generates a new key for each logical call, and none for a query', async () => {
    const { url, seen } = await script(ok({ deactivateDevice: true, node: { interface: 'wg0' } }));
    const client = createNodeClient({ url, retry: FAST });
    await client.deactivateDevice({ userId: 1, deviceId: 2 });
    await client.deactivateDevice({ userId: 1, deviceId: 2 });
    await client.node();
    client.close();
    expect(seen[0]!.headers['idempotency-key']).not.toBe(seen[1]!.headers['idempotency-key']);
    expect(seen[2]!.headers['idempotency-key']).toBeUndefined();
  });

  it('reports a replay the node marks with Idempotent-Replayed', async () => {
    const { url } = await script(ok({ deactivateDevice: true }, { 'idempotent-replayed': 'true' }));
    const client = createNodeClient({ url, retry: FAST });
    expect(await client.deactivateDevice({ userId: 1, deviceId: 2 }, { idempotencyKey: 'key-1' })).toMatchObject({ ok: true, replayed: true });
    client.close();
  });

  it('waits as long as a 429 says in Retry-After', async () => {
    const { url, seen } = await script(fail(429, 'RATE_LIMITED', { 'retry-after': '1' }), ok({ deactivateDevice: true }));
    const client = createNodeClient({ url, retry: { retries: 1, baseDelayMs: 1, maxDelayMs: 5_000 } });
    expect(await client.deactivateDevice({ userId: 1, deviceId: 2 })).toMatchObject({ ok: true, attempts: 2 });
    client.close();
    // The backoff alone would wait at most 1 ms; Retry-After asked for a second.
    expect(seen[1]!.at - seen[0]!.at).toBeGreaterThanOrEqual(990);
  });

  it('retries a dropped connection and a 409 (the same key still running)', async () => {
    const { url, seen } = await script(hangUp, fail(409, 'IDEMPOTENCY_KEY_IN_USE'), ok({ disconnectBySessionId: true }));
    const client = createNodeClient({ url, retry: FAST });
    expect(await client.disconnectSession({ sessionId: '7' })).toMatchObject({ ok: true, data: true, attempts: 3 });
    client.close();
    expect(new Set(seen.map((s) => s.headers['idempotency-key'])).size).toBe(1);
  });

  it('retries a refused connection, then answers unreachable', async () => {
    const { url } = await script(ok({}));
    await new Promise((resolve) => server!.close(resolve));
    const client = createNodeClient({ url, retry: FAST });
    expect(await client.deactivateDevice({ userId: 1, deviceId: 2 })).toMatchObject({ ok: false, kind: 'unreachable', code: 'ECONNREFUSED', status: null, attempts: 4 });
    client.close();
  });

  it('never retries a 400 domain answer or a 422', async () => {
    const { url, seen } = await script(fail(400, 'SESSION_NOT_FOUND'), fail(422, 'IDEMPOTENCY_KEY_MISMATCH'));
    const client = createNodeClient({ url, retry: FAST });
    expect(await client.disconnectDevice({ userId: 1, deviceId: 2 })).toMatchObject({ ok: false, kind: 'domain', code: 'SESSION_NOT_FOUND', status: 400, attempts: 1 });
    expect(await client.disconnectDevice({ userId: 1, deviceId: 2 })).toMatchObject({ ok: false, kind: 'domain', code: 'IDEMPOTENCY_KEY_MISMATCH', status: 422, attempts: 1 });
    client.close();
    expect(seen).toHaveLength(2);
  });

  it('gives up an attempt at its timeout, and retries it', async () => {
    const { url, seen } = await script(never, ok({ deactivateDevice: true }));
    const client = createNodeClient({ url, timeoutMs: 200, retry: FAST });
    expect(await client.deactivateDevice({ userId: 1, deviceId: 2 })).toMatchObject({ ok: true, attempts: 2 });
    expect(await client.deactivateDevice({ userId: 1, deviceId: 2 }, { retry: { retries: 0 }, timeoutMs: 50 })).toMatchObject({ ok: true });
    client.close();
    expect(seen[0]!.headers['idempotency-key']).toBe(seen[1]!.headers['idempotency-key']);
  });

  it('answers unreachable with TIMEOUT when no attempt is answered in time', async () => {
    const { url } = await script(never);
    const slow = createNodeClient({ url, timeoutMs: 100, retry: { retries: 0 } });
    expect(await slow.node()).toMatchObject({ ok: false, kind: 'unreachable', code: 'TIMEOUT', attempts: 1 });
    slow.close();
  });

  it('stops an attempt in flight when the call is aborted', async () => {
    const { url } = await script(never);
    const client = createNodeClient({ url, timeoutMs: 60_000, retry: FAST });
    const abort = new AbortController();
    const answer = client.node({ signal: abort.signal });
    setTimeout(() => abort.abort(), 20);
    expect(await answer).toMatchObject({ ok: false, kind: 'unreachable', code: 'ABORTED', attempts: 1 });
    client.close();
  });

  it('keeps the per-item answers of a bulk call that stayed 503 after its retries', async () => {
    const items = [{ userId: 1, deviceId: 2, ok: false, code: 'REMOVAL_PENDING', message: 'pending' }];
    const { url, seen } = await script(json(503, { data: { deactivateDevices: items } }));
    const client = createNodeClient({ url, retry: { retries: 1, baseDelayMs: 1 } });
    expect(await client.deactivateDevices({ items: [{ userId: 1, deviceId: 2 }] })).toMatchObject({ ok: false, kind: 'unreachable', status: 503, attempts: 2, data: items });
    client.close();
    expect(seen).toHaveLength(2);
  });

  it('answers a 5xx that is not JSON (a proxy page) by its status', async () => {
    const { url } = await script((res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html>bad gateway</html>');
    });
    const client = createNodeClient({ url, retry: { retries: 1, baseDelayMs: 1 } });
    expect(await client.node()).toMatchObject({ ok: false, kind: 'unreachable', code: 'HTTP_502', status: 502, attempts: 2 });
    client.close();
  });
});

describe('backoff', () => {
  it('stays within the doubling ceiling, capped', () => {
    const options = { retries: 9, baseDelayMs: 100, maxDelayMs: 1_000 };
    expect(backoffDelay(options, 0, () => 0.999)).toBe(99);
    expect(backoffDelay(options, 3, () => 0.999)).toBe(799);
    expect(backoffDelay(options, 8, () => 0.999)).toBe(999);
    expect(backoffDelay(options, 8, () => 0)).toBe(0);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter('soon')).toBeNull();
    expect(parseRetryAfter(undefined)).toBeNull();
  });
});

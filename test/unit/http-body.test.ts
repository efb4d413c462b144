// The /graphql body as the Node server reads it (src/http/body.ts reads the IncomingMessage
// directly there, not through the web Request): same answers and the same size limit.
import { request, type Server } from 'node:http';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, seedDevice, ADMIN_TOKEN, DISCONNECT } from '../support/harness.js';
import { testKey } from '../support/keys.js';

function post(port: number, body: string | Buffer, options: { chunked?: boolean } = {}) {
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const headers: Record<string, string | number> = { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` };
    if (!options.chunked) headers['content-length'] = Buffer.byteLength(body);
    const req = request({ host: '127.0.0.1', port, path: '/graphql', method: 'POST', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', (error) => ((error as NodeJS.ErrnoException).code === 'EPIPE' || (error as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(error)));
    if (options.chunked) {
      // Several writes without Content-Length: chunked transfer encoding.
      const buffer = Buffer.from(body);
      for (let i = 0; i < buffer.length; i += 64 * 1024) req.write(buffer.subarray(i, i + 64 * 1024));
      req.end();
    } else req.end(body);
  });
}

describe('the /graphql body under the Node server', () => {
  const h = createHarness({ env: { WGNODE_MAX_BODY_BYTES: '65536' } });
  let server: ServerType;
  let port = 0;
  beforeAll(async () => {
    await seedDevice(h, 1, 1, [testKey(1)]);
    await new Promise<void>((resolve) => {
      server = serve({ fetch: h.app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => ((port = info.port), resolve()));
    });
  });
  afterAll(async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    (server as Server).closeAllConnections(); // idle keep-alive sockets would hold close() for 5 s
    await closed;
  });

  it('answers a mutation read from the Node request', async () => {
    const res = await post(port, JSON.stringify({ query: DISCONNECT, variables: { userId: 1, deviceId: 1 } }));
    expect(res).toEqual({ status: 200, text: '{"data":{"disconnectByUserIdAndDeviceId":true}}' });
  });

  it('answers a multi-byte UTF-8 body split across chunks intact', async () => {
    const reason = 'é'.repeat(200);
    const query = `mutation ($r: String) { disconnectByUserIdAndDeviceId(userId: 1, deviceId: 9, reason: $r) }`;
    const res = await post(port, JSON.stringify({ query, variables: { r: reason } }), { chunked: true });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text).errors[0].extensions.code).toBe('NOT_FOUND');
  });

  it('refuses a body over the limit by its Content-Length, 413', async () => {
    const res = await post(port, JSON.stringify({ query: '{ __typename }', pad: 'x'.repeat(70_000) }));
    expect(res.status).toBe(413);
    expect(JSON.parse(res.text).errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('refuses a chunked body once it grows over the limit, 413', async () => {
    const res = await post(port, JSON.stringify({ query: '{ __typename }', pad: 'x'.repeat(200_000) }), { chunked: true });
    expect(res.status).toBe(413);
  });
});

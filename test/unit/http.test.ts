// The HTTP surface of /graphql: credentials, scopes, methods, and request errors as 4xx.
import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createHarness, DISCONNECT, READ_TOKEN } from '../support/harness.js';

describe('/graphql credentials', () => {
  it.each([
    ['no Authorization header', undefined],
    ['an unknown token', 'Bearer not-a-known-token-123456'],
    ['a Basic scheme', `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}`],
    ['an empty bearer', 'Bearer '],
  ])('refuses %s with 401 UNAUTHENTICATED and a Bearer challenge', async (_label, authorization) => {
    const h = createHarness();
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (authorization) headers.authorization = authorization;
    const res = await h.app.request('/graphql', { method: 'POST', headers, body: JSON.stringify({ query: DISCONNECT, variables: { userId: 1, deviceId: 1 } }) });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(((await res.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]?.extensions.code).toBe('UNAUTHENTICATED');
    expect(h.registry.audit.list({}, 10, null)).toEqual([]);
  });

  it('lets a read token query but not mutate (403 FORBIDDEN)', async () => {
    const h = createHarness();
    expect((await h.gql(`{ devices(userId: 1) { deviceId } }`, undefined, READ_TOKEN)).status).toBe(200);
    const res = await h.gql(DISCONNECT, { userId: 1, deviceId: 1 }, READ_TOKEN);
    expect(res.status).toBe(403);
    expect(res.body.errors[0].extensions.code).toBe('FORBIDDEN');
    expect(h.runner.calls).toEqual([]);
  });
});

describe('/graphql request errors', () => {
  it('answers a syntax error with 400 GRAPHQL_PARSE_FAILED', async () => {
    const res = await createHarness().gql('mutation { disconnect');
    expect(res.status).toBe(400);
    expect(res.body.errors[0].extensions.code).toBe('GRAPHQL_PARSE_FAILED');
  });

  it('answers an unknown field with 400 GRAPHQL_VALIDATION_FAILED', async () => {
    const res = await createHarness().gql('{ nope }');
    expect(res.status).toBe(400);
    expect(res.body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('answers a variable outside 32-bit range with 400 and no data', async () => {
    const res = await createHarness().gql(DISCONNECT, { userId: 2 ** 31, deviceId: 1 });
    expect(res.status).toBe(400);
    expect(res.body).not.toHaveProperty('data');
    expect(res.body.errors[0].message).toMatch(/non 32-bit signed integer/);
  });

  it('refuses a mutation over GET with 405', async () => {
    const h = createHarness();
    const url = `/graphql?query=${encodeURIComponent('mutation { deactivateDevice(userId: 1, deviceId: 1) }')}`;
    const res = await h.app.request(url, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(405);
  });

  it('serves liveness without credentials', async () => {
    const res = await createHarness().app.request('/livez');
    expect([res.status, await res.json()]).toEqual([200, { status: 'ok' }]);
  });
});

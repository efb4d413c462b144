// The limits seen from the caller's side: the per-credential mutation rate limit, the GraphQL
// limits leaving ample room for real traffic, and printable Unicode kept verbatim.
import { describe, expect, it } from 'vitest';
import { ACTIVATE, createHarness, READ_TOKEN, seedDevice } from '../support/harness.js';
import { testKey } from '../support/keys.js';

const DISCONNECT_REASON = `mutation ($userId: Int!, $deviceId: Int!, $reason: String) { disconnectByUserIdAndDeviceId(userId: $userId, deviceId: $deviceId, reason: $reason) }`;

describe('mutation rate limit', () => {
  it('answers 429 with Retry-After once a credential spends its burst, per credential, and refills', async () => {
    let now = 1_700_000_000_000;
    const h = createHarness({ env: { WGNODE_RATE_LIMIT_PER_S: '1', WGNODE_RATE_LIMIT_BURST: '3' }, now: () => now });
    for (let i = 0; i < 3; i++) expect((await h.gql(ACTIVATE, { userId: 1, deviceId: 1 })).status).toBe(200);
    const limited = await h.gql(ACTIVATE, { userId: 1, deviceId: 1 });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(limited.body.errors[0].extensions.code).toBe('RATE_LIMITED');
    // Queries are not limited; another credential has its own bucket.
    expect((await h.gql('{ node { interface } }')).status).toBe(200);
    expect((await h.gql(ACTIVATE, { userId: 1, deviceId: 1 }, READ_TOKEN)).status).toBe(403);
    now += 1000;
    expect((await h.gql(ACTIVATE, { userId: 1, deviceId: 1 })).status).toBe(200);
    expect((await h.gql(ACTIVATE, { userId: 1, deviceId: 1 })).status).toBe(429);
  });

  it('never limits the operator on the local socket', async () => {
    const h = createHarness({ env: { WGNODE_RATE_LIMIT_PER_S: '1', WGNODE_RATE_LIMIT_BURST: '1' } });
    const local = () =>
      h.app.request('/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: ACTIVATE, variables: { userId: 1, deviceId: 1 } }) }, { local: true });
    for (let i = 0; i < 5; i++) expect((await local()).status).toBe(200);
    expect((await h.gql(ACTIVATE, { userId: 1, deviceId: 1 })).status).toBe(200);
    expect((await h.gql(ACTIVATE, { userId: 1, deviceId: 1 })).status).toBe(429);
  });

  it('is off with WGNODE_RATE_LIMIT_PER_S=0', async () => {
    const h = createHarness({ env: { WGNODE_RATE_LIMIT_PER_S: '0', WGNODE_RATE_LIMIT_BURST: '1' } });
    for (let i = 0; i < 5; i++) expect((await h.gql(ACTIVATE, { userId: 1, deviceId: 1 })).status).toBe(200);
  });
});

describe('unicode in a reason', () => {
  it('is kept verbatim when it is printable', async () => {
    const h = createHarness();
    await seedDevice(h, 1, 1, [testKey(1)]);
    const reason = 'Gerät verloren — 端末紛失 🔒';
    expect((await h.gql(DISCONNECT_REASON, { userId: 1, deviceId: 1, reason })).status).toBe(200);
    expect(h.registry.audit.list({}, 1, null)[0]?.reason).toBe(reason);
  });
});

describe('the limits leave room for real traffic', () => {
  const ALL_FIELDS = 'id userId deviceId publicKey address allowedIps status startedAt endedAt endReason online lastHandshakeAt rxBytes txBytes';

  it.each([
    ['a full page of sessions with every field', `{ sessions(first: 500, status: ACTIVE) { nodes { ${ALL_FIELDS} } pageInfo { hasNextPage endCursor } totalCount } }`],
    ['a device with its sessions', `{ device(userId: 1, deviceId: 1) { userId deviceId status activatedAt deactivatedAt deactivatedBy deactivationReason sessions { ${ALL_FIELDS} } } }`],
    ['50 aliased lookups', `{ ${Array.from({ length: 50 }, (_, i) => `d${i}: device(userId: ${i + 1}, deviceId: 1) { status }`).join(' ')} }`],
    ['the node info', '{ node { interface publicKey listenPort endpoint address addressPool } }'],
  ])('%s', async (_label, query) => {
    const h = createHarness();
    await seedDevice(h, 1, 1, [testKey(1), testKey(2)]);
    const res = await h.gql(query);
    expect(res.status, res.text.slice(0, 300)).toBe(200);
    expect(res.body.errors).toBeUndefined();
  });

  it('50 aliased disconnects in one mutation', async () => {
    const h = createHarness();
    for (let u = 1; u <= 50; u++) await seedDevice(h, u, 1, [testKey(u)]);
    const res = await h.gql(`mutation { ${Array.from({ length: 50 }, (_, i) => `d${i}: disconnectByUserIdAndDeviceId(userId: ${i + 1}, deviceId: 1)`).join(' ')} }`);
    expect(res.status, res.text.slice(0, 300)).toBe(200);
    expect(Object.values(res.body.data)).toEqual(Array(50).fill(true));
  });
});

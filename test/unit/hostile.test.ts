// A table of hostile requests. For each: the exact status and error code, never a 5xx, no
// command run, nothing written to the registry but the audit row of a refused admin action,
// nothing internal leaked, and the server still answers a normal request afterwards.
import { createHmac } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportSPKI, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, CONNECT, createHarness, DEACTIVATE, DISCONNECT, READ_TOKEN, seedDevice, type Harness } from '../support/harness.js';
import { testKey } from '../support/keys.js';

type SigningKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

const ISSUER = 'https://control.example';
const AUDIENCE = 'wgnode';
const DISCONNECT_SESSION = `mutation ($id: ID!, $reason: String) { disconnectBySessionId(sessionId: $id, reason: $reason) }`;
const DISCONNECT_REASON = `mutation ($userId: Int!, $deviceId: Int!, $reason: String) { disconnectByUserIdAndDeviceId(userId: $userId, deviceId: $deviceId, reason: $reason) }`;

interface Hostile {
  name: string;
  status: number;
  code: string;
  /** A GraphQL body (JSON-encoded), or a raw body string with `raw`. */
  query?: string;
  variables?: unknown;
  raw?: string | (() => ReadableStream<Uint8Array>);
  method?: string;
  /** Extra or replacing headers; `authorization: null` drops it. */
  headers?: Record<string, string | null>;
  /** Token for the default Authorization header (ADMIN_TOKEN unless set). */
  token?: string | ((keys: Keys) => Promise<string>);
  message?: RegExp;
  /** The audit row a refused admin action leaves. */
  audit?: { actor: string; action: string };
}

interface Keys {
  sign: (claims?: Record<string, unknown>, exp?: number | null, aud?: string) => Promise<string>;
  other: SigningKey;
  pem: string;
}

const nested = (depth: number, inner: string) => '{ a '.repeat(depth) + inner + ' }'.repeat(depth);
const fragments = (depth: number) => `{ devices(userId: 1) { sessions { ${'... on Session { '.repeat(depth)} id ${'} '.repeat(depth)} } } }`;
const mib = (n: number) => JSON.stringify({ query: '{ node { interface } }', variables: { pad: 'x'.repeat(n * 1024 * 1024) } });

const cases: Hostile[] = [
  // The body and its framing
  { name: 'malformed JSON', raw: '{"query": "{ node { interface } }"', status: 400, code: 'BAD_REQUEST', message: /Unparsable JSON/ },
  { name: 'an empty body', raw: '', status: 400, code: 'BAD_REQUEST' },
  { name: 'a JSON string body', raw: '"{ node { interface } }"', status: 400, code: 'BAD_REQUEST' },
  { name: 'a JSON null body', raw: 'null', status: 400, code: 'BAD_REQUEST' },
  { name: 'a batch (JSON array)', raw: JSON.stringify([{ query: DISCONNECT, variables: { userId: 1, deviceId: 1 } }]), status: 400, code: 'BAD_REQUEST', message: /Batched requests/ },
  { name: 'JSON nested 400,000 deep in the variables', raw: `{"query": ${JSON.stringify(DISCONNECT)}, "variables": {"userId": ${'['.repeat(400_000)}${']'.repeat(400_000)}, "deviceId": 1}}`, status: 400, code: 'BAD_USER_INPUT' },
  { name: 'a query that is a number', raw: '{"query": 42}', status: 400, code: 'BAD_REQUEST', message: /Invalid query/ },
  { name: 'no query', raw: '{"variables": {}}', status: 400, code: 'BAD_REQUEST', message: /Missing query/ },
  { name: 'variables as an array', query: DISCONNECT, variables: [1, 1], status: 400, code: 'BAD_REQUEST', message: /Invalid variables/ },
  { name: 'variables as a string', query: DISCONNECT, variables: '{"userId":1}', status: 400, code: 'BAD_REQUEST' },
  { name: 'operationName as a number', raw: JSON.stringify({ query: DISCONNECT, operationName: 7 }), status: 400, code: 'BAD_REQUEST' },
  { name: 'a text/plain body', query: DISCONNECT, variables: { userId: 1, deviceId: 1 }, headers: { 'content-type': 'text/plain' }, status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  { name: 'a form body', raw: 'query=mutation%7BdeactivateDevice(userId%3A1%2CdeviceId%3A1)%7D', headers: { 'content-type': 'application/x-www-form-urlencoded' }, status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  { name: 'JSON in latin1', query: DISCONNECT, variables: { userId: 1, deviceId: 1 }, headers: { 'content-type': 'application/json; charset=iso-8859-1' }, status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  { name: 'an Accept the server cannot produce', query: '{ node { interface } }', headers: { accept: 'text/html' }, status: 406, code: 'NOT_ACCEPTABLE' },
  { name: 'a mutation over GET', method: 'GET', status: 405, code: 'METHOD_NOT_ALLOWED' },
  { name: 'a 2 MiB body', raw: mib(2), status: 413, code: 'PAYLOAD_TOO_LARGE' },
  { name: 'a 2 MiB body streamed without Content-Length', raw: () => streamOf(mib(2)), status: 413, code: 'PAYLOAD_TOO_LARGE' },

  // Credentials
  { name: 'no Authorization header', query: DISCONNECT, variables: { userId: 1, deviceId: 1 }, headers: { authorization: null }, status: 401, code: 'UNAUTHENTICATED' },
  { name: 'the Basic scheme', query: DISCONNECT, variables: { userId: 1, deviceId: 1 }, headers: { authorization: `Basic ${Buffer.from(`a:${ADMIN_TOKEN}`).toString('base64')}` }, status: 401, code: 'UNAUTHENTICATED' },
  { name: 'the token without a scheme', query: DISCONNECT, variables: { userId: 1, deviceId: 1 }, headers: { authorization: ADMIN_TOKEN }, status: 401, code: 'UNAUTHENTICATED' },
  { name: 'an empty bearer', query: DISCONNECT, variables: { userId: 1, deviceId: 1 }, headers: { authorization: 'Bearer ' }, status: 401, code: 'UNAUTHENTICATED' },
  { name: 'two bearer tokens', query: DISCONNECT, variables: { userId: 1, deviceId: 1 }, headers: { authorization: `Bearer ${READ_TOKEN}, Bearer ${ADMIN_TOKEN}` }, status: 401, code: 'UNAUTHENTICATED' },
  { name: 'a token with an injected header after a tab', query: DISCONNECT, variables: { userId: 1, deviceId: 1 }, headers: { authorization: `Bearer ${ADMIN_TOKEN}\tX-Scope: admin` }, status: 401, code: 'UNAUTHENTICATED' },
  { name: 'a 5000-character token', query: DISCONNECT, variables: { userId: 1, deviceId: 1 }, token: 'a'.repeat(5000), status: 401, code: 'UNAUTHENTICATED' },
  { name: 'the admin token with one character changed', query: DISCONNECT, variables: { userId: 1, deviceId: 1 }, token: `${ADMIN_TOKEN.slice(0, -1)}X`, status: 401, code: 'UNAUTHENTICATED' },
  { name: 'an expired JWT', query: DISCONNECT, variables: { userId: 1, deviceId: 1 }, token: (k) => k.sign({}, Math.floor(Date.now() / 1000) - 3600), status: 401, code: 'UNAUTHENTICATED' },
  { name: 'a JWT forged with another key', query: DISCONNECT, variables: { userId: 1, deviceId: 1 }, token: (k) => signWith(k.other), status: 401, code: 'UNAUTHENTICATED' },
  { name: 'a JWT with alg none', query: DISCONNECT, variables: { userId: 1, deviceId: 1 }, token: () => Promise.resolve(unsecured()), status: 401, code: 'UNAUTHENTICATED' },
  { name: 'a JWT HS256-signed with the public key', query: DISCONNECT, variables: { userId: 1, deviceId: 1 }, token: (k) => Promise.resolve(hsWithPublicKey(k.pem)), status: 401, code: 'UNAUTHENTICATED' },
  { name: 'a JWT for another audience', query: DISCONNECT, variables: { userId: 1, deviceId: 1 }, token: (k) => k.sign({}, undefined, 'billing'), status: 401, code: 'UNAUTHENTICATED' },
  { name: 'a mutation with a read token', query: DISCONNECT, variables: { userId: 1, deviceId: 1 }, token: READ_TOKEN, status: 403, code: 'FORBIDDEN', audit: { actor: 'monitor', action: 'disconnectByUserIdAndDeviceId' } },
  { name: 'two aliased mutations with a read token', query: `mutation { a: deactivateDevice(userId: 1, deviceId: 1) b: disconnectByUserIdAndDeviceId(userId: 1, deviceId: 1) }`, token: READ_TOKEN, status: 403, code: 'FORBIDDEN', audit: { actor: 'monitor', action: 'deactivateDevice,disconnectByUserIdAndDeviceId' } },
  { name: 'a mutation with a read-scoped JWT', query: DEACTIVATE, variables: { userId: 1, deviceId: 1 }, token: (k) => k.sign({ scope: 'read' }), status: 403, code: 'FORBIDDEN', audit: { actor: 'cp', action: 'deactivateDevice' } },
  { name: 'a query with a scopeless JWT', query: '{ node { interface } }', token: (k) => k.sign({ scope: 'openid' }), status: 403, code: 'FORBIDDEN' },
  { name: 'a read token smuggling scopes through __proto__', query: DISCONNECT, variables: JSON.parse('{"__proto__": {"scopes": ["admin"]}, "userId": 1, "deviceId": 1}'), token: READ_TOKEN, status: 403, code: 'FORBIDDEN', audit: { actor: 'monitor', action: 'disconnectByUserIdAndDeviceId' } },

  // The query's shape
  { name: 'a syntax error', query: 'mutation { deactivateDevice(userId: 1', status: 400, code: 'GRAPHQL_PARSE_FAILED' },
  { name: 'a NUL inside the query', query: '{ node { interface \u0000 } }', status: 400, code: 'GRAPHQL_PARSE_FAILED' },
  { name: '20 nested fragments (depth)', query: fragments(20), status: 400, code: 'GRAPHQL_VALIDATION_FAILED', message: /depth limit of 8/ },
  { name: '30,000 nested selections', query: nested(30_000, 'b'), status: 400, code: 'GRAPHQL_PARSE_FAILED', message: /tokens/ },
  { name: '3,000 fields wide', query: `{ node { ${'interface '.repeat(3000)} } }`, status: 400, code: 'GRAPHQL_PARSE_FAILED', message: /tokens/ },
  { name: '450 repeated sub-selections (quadratic overlap check)', query: `{ devices(userId: 1) { ${'sessions { id } '.repeat(450)} } }`, status: 400, code: 'GRAPHQL_VALIDATION_FAILED', message: /more than 200 fields/ },
  { name: 'a fragment bomb (27,000 fields from 90 spreads)', query: `{ node { ...F0 } } ${[0, 1, 2].map((i) => `fragment F${i} on NodeInfo { ${`...F${i + 1} `.repeat(30)}}`).join(' ')} fragment F3 on NodeInfo { interface }`, status: 400, code: 'GRAPHQL_VALIDATION_FAILED', message: /more than 200 fields/ },
  { name: 'a fragment cycle', query: '{ node { ...A } } fragment A on NodeInfo { interface ...B } fragment B on NodeInfo { address ...A }', status: 400, code: 'GRAPHQL_VALIDATION_FAILED', message: /Cannot spread fragment/ },
  { name: '60 aliases', query: `{ ${Array.from({ length: 60 }, (_, i) => `a${i}: node { interface }`).join(' ')} }`, status: 400, code: 'GRAPHQL_VALIDATION_FAILED', message: /Aliases limit of 50/ },
  { name: '60 aliased disconnects', query: `mutation { ${Array.from({ length: 60 }, (_, i) => `d${i}: disconnectByUserIdAndDeviceId(userId: 1, deviceId: 1)`).join(' ')} }`, status: 400, code: 'GRAPHQL_VALIDATION_FAILED', message: /Aliases limit/ },
  { name: '30 directives', query: `{ node { ${'interface @skip(if: false) '.repeat(30)} } }`, status: 400, code: 'GRAPHQL_VALIDATION_FAILED', message: /Directives limit of 20/ },
  { name: 'a page of 100,000 (cost)', query: '{ sessions(first: 100000) { nodes { id publicKey } totalCount } }', status: 400, code: 'GRAPHQL_VALIDATION_FAILED', message: /Cost limit of 50000/ },
  { name: 'three full pages at once (cost)', query: `{ ${[1, 2, 3].map((i) => `p${i}: sessions(first: 500) { nodes { ...F } }`).join(' ')} } fragment F on Session { id userId deviceId publicKey address allowedIps status startedAt endedAt endReason online lastHandshakeAt rxBytes txBytes }`, status: 400, code: 'GRAPHQL_VALIDATION_FAILED', message: /Cost limit/ },
  { name: 'introspection (__schema)', query: '{ __schema { types { name } } }', status: 400, code: 'GRAPHQL_VALIDATION_FAILED', message: /introspection/ },
  { name: 'introspection (__type)', query: '{ __type(name: "Session") { fields { name } } }', status: 400, code: 'GRAPHQL_VALIDATION_FAILED', message: /introspection/ },
  { name: 'a misspelt field (no suggestion leaked)', query: '{ nod { interface } }', status: 400, code: 'GRAPHQL_VALIDATION_FAILED' },
  { name: 'a subscription', query: 'subscription { node { interface } }', status: 400, code: 'GRAPHQL_VALIDATION_FAILED' },
  { name: 'two operations and no operationName', query: 'query A { node { interface } } mutation B { deactivateDevice(userId: 1, deviceId: 1) }', status: 400, code: 'GRAPHQL_VALIDATION_FAILED', message: /operation/ },
  { name: 'an unknown argument', query: 'mutation { deactivateDevice(userId: 1, deviceId: 1, force: true) }', status: 400, code: 'GRAPHQL_VALIDATION_FAILED' },

  // Argument values
  { name: 'a 2^31 literal Int', query: 'mutation { deactivateDevice(userId: 2147483648, deviceId: 1) }', status: 400, code: 'GRAPHQL_VALIDATION_FAILED' },
  { name: 'a 2^53 variable Int', query: DISCONNECT, variables: { userId: 2 ** 53, deviceId: 1 }, status: 400, code: 'BAD_USER_INPUT', message: /32-bit/ },
  { name: 'a string for an Int', query: DISCONNECT, variables: { userId: '1', deviceId: 1 }, status: 400, code: 'BAD_USER_INPUT' },
  { name: 'a float for an Int', query: DISCONNECT, variables: { userId: 1.5, deviceId: 1 }, status: 400, code: 'BAD_USER_INPUT' },
  { name: 'null for a non-null variable', query: DISCONNECT, variables: { userId: null, deviceId: 1 }, status: 400, code: 'BAD_USER_INPUT' },
  { name: 'a missing variable', query: DISCONNECT, variables: { deviceId: 1 }, status: 400, code: 'BAD_USER_INPUT' },
  { name: 'a negative userId', query: DISCONNECT, variables: { userId: -1, deviceId: 1 }, status: 400, code: 'BAD_USER_INPUT', message: /positive/ },
  { name: 'a zero deviceId', query: DEACTIVATE, variables: { userId: 1, deviceId: 0 }, status: 400, code: 'BAD_USER_INPUT', message: /positive/ },
  { name: 'a shell command as publicKey', query: CONNECT, variables: { userId: 1, deviceId: 1, publicKey: 'x; rm -rf /' }, status: 400, code: 'INVALID_PUBLIC_KEY' },
  { name: 'a command substitution as publicKey', query: CONNECT, variables: { userId: 1, deviceId: 1, publicKey: '$(reboot)' }, status: 400, code: 'INVALID_PUBLIC_KEY' },
  { name: 'a wg clause smuggled after a valid key', query: CONNECT, variables: { userId: 1, deviceId: 1, publicKey: `${testKey(9)} remove` }, status: 400, code: 'INVALID_PUBLIC_KEY' },
  { name: 'a key and a newline', query: CONNECT, variables: { userId: 1, deviceId: 1, publicKey: `${testKey(9)}\n` }, status: 400, code: 'INVALID_PUBLIC_KEY' },
  { name: 'an option as publicKey', query: CONNECT, variables: { userId: 1, deviceId: 1, publicKey: '--help' }, status: 400, code: 'INVALID_PUBLIC_KEY' },
  { name: 'a 31-byte key', query: CONNECT, variables: { userId: 1, deviceId: 1, publicKey: Buffer.alloc(31, 7).toString('base64') }, status: 400, code: 'INVALID_PUBLIC_KEY' },
  { name: 'a 33-byte key', query: CONNECT, variables: { userId: 1, deviceId: 1, publicKey: Buffer.alloc(33, 7).toString('base64') }, status: 400, code: 'INVALID_PUBLIC_KEY' },
  { name: 'a key in base64url', query: CONNECT, variables: { userId: 1, deviceId: 1, publicKey: Buffer.alloc(32, 0xfb).toString('base64url') }, status: 400, code: 'INVALID_PUBLIC_KEY' },
  { name: 'a 501-character reason', query: DISCONNECT_REASON, variables: { userId: 1, deviceId: 1, reason: 'r'.repeat(501) }, status: 400, code: 'BAD_USER_INPUT', message: /at most 500/ },
  { name: '300 emoji as a reason (600 code units)', query: DISCONNECT_REASON, variables: { userId: 1, deviceId: 1, reason: '🔥'.repeat(300) }, status: 400, code: 'BAD_USER_INPUT', message: /at most 500/ },
  { name: 'a terminal escape in the reason', query: DISCONNECT_REASON, variables: { userId: 1, deviceId: 1, reason: 'ok\u001b[2J\u001b[H' }, status: 400, code: 'BAD_USER_INPUT', message: /control/ },
  { name: 'a C1 CSI in the reason', query: DISCONNECT_REASON, variables: { userId: 1, deviceId: 1, reason: 'ok\u009b2J' }, status: 400, code: 'BAD_USER_INPUT', message: /control/ },
  { name: 'a bidi override in the reason', query: DISCONNECT_REASON, variables: { userId: 1, deviceId: 1, reason: 'lost \u202Eenilno' }, status: 400, code: 'BAD_USER_INPUT', message: /control/ },
  { name: 'SQL as a session id', query: DISCONNECT_SESSION, variables: { id: "1' OR '1'='1" }, status: 400, code: 'BAD_USER_INPUT' },
  { name: 'a session id beyond 2^53', query: DISCONNECT_SESSION, variables: { id: '99999999999999999999' }, status: 400, code: 'BAD_USER_INPUT' },
  { name: 'a page of 1,000', query: '{ sessions(first: 1000) { totalCount } }', status: 400, code: 'BAD_USER_INPUT', message: /between 1 and 500/ },
  { name: 'a page of 0 through a variable', query: 'query ($n: Int) { sessions(first: $n) { totalCount } }', variables: { n: 0 }, status: 400, code: 'BAD_USER_INPUT' },
  { name: 'a zero userId in a query', query: '{ device(userId: 0, deviceId: 1) { status } }', status: 400, code: 'BAD_USER_INPUT', message: /userId must be a positive integer/ },
  { name: 'a negative userId literal in a query', query: '{ devices(userId: -1) { status } }', status: 400, code: 'BAD_USER_INPUT', message: /positive/ },
  { name: 'a negative id among aliased mutations', query: 'mutation ($d: Int!) { a: deactivateDevice(userId: 1, deviceId: 1) b: deactivateDevice(userId: 2, deviceId: $d) }', variables: { d: -7 }, status: 400, code: 'BAD_USER_INPUT', message: /deviceId/ },
  { name: 'a forged cursor', query: '{ sessions(after: "JyBPUiAxPTE=") { totalCount } }', status: 400, code: 'BAD_USER_INPUT' },
];

function streamOf(text: string): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  return new ReadableStream({
    start(controller) {
      for (let i = 0; i < bytes.length; i += 64 * 1024) controller.enqueue(bytes.subarray(i, i + 64 * 1024));
      controller.close();
    },
  });
}

let signingKey: SigningKey;
async function signWith(key: SigningKey, claims: Record<string, unknown> = {}, exp: number | null = Math.floor(Date.now() / 1000) + 300, aud = AUDIENCE) {
  const jwt = new SignJWT({ scope: 'admin', ...claims }).setProtectedHeader({ alg: 'EdDSA' }).setSubject('cp').setIssuer(ISSUER).setAudience(aud).setIssuedAt();
  if (exp !== null) jwt.setExpirationTime(exp);
  return jwt.sign(key);
}
function unsecured(): string {
  return new UnsecuredJWT({ scope: 'admin' }).setSubject('cp').setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime('5m').encode();
}
function hsWithPublicKey(pem: string): string {
  const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const input = `${b64({ alg: 'HS256' })}.${b64({ sub: 'cp', scope: 'admin', iss: ISSUER, aud: AUDIENCE, exp: Math.floor(Date.now() / 1000) + 300 })}`;
  return `${input}.${createHmac('sha256', pem).update(input).digest('base64url')}`;
}

const keys = {} as Keys;
let keyFile = '';

beforeAll(async () => {
  const pair = await generateKeyPair('EdDSA', { extractable: true });
  signingKey = pair.privateKey;
  keys.pem = await exportSPKI(pair.publicKey);
  keys.other = (await generateKeyPair('EdDSA')).privateKey;
  keys.sign = (claims = {}, exp, aud) => signWith(signingKey, claims, exp === undefined ? Math.floor(Date.now() / 1000) + 300 : exp, aud);
  keyFile = join(mkdtempSync(join(tmpdir(), 'wgnode-hostile-')), 'jwt.pem');
  writeFileSync(keyFile, keys.pem);
});

async function harness(): Promise<Harness> {
  const h = createHarness({ env: { WGNODE_JWT_PUBLIC_KEY_FILE: keyFile, WGNODE_JWT_ISSUER: ISSUER, WGNODE_JWT_AUDIENCE: AUDIENCE } });
  await seedDevice(h, 1, 1, [testKey(1)]);
  return h;
}

/** Every table but the audit log, as rows: "nothing written" means this does not change. */
function registryState(h: Harness): string {
  return JSON.stringify(h.registry.contents({ except: ['audit_log'] }));
}

async function send(h: Harness, c: Hostile): Promise<Response> {
  const headers = new Headers({ 'content-type': 'application/json' });
  const token = typeof c.token === 'function' ? await c.token(keys) : (c.token ?? ADMIN_TOKEN);
  headers.set('authorization', `Bearer ${token}`);
  for (const [name, value] of Object.entries(c.headers ?? {})) {
    if (value === null) headers.delete(name);
    else headers.set(name, value);
  }
  if (c.method === 'GET') {
    const url = `/graphql?query=${encodeURIComponent(DEACTIVATE)}&variables=${encodeURIComponent('{"userId":1,"deviceId":1}')}`;
    headers.delete('content-type');
    return h.app.request(url, { method: 'GET', headers });
  }
  const body = c.raw !== undefined ? (typeof c.raw === 'function' ? c.raw() : c.raw) : JSON.stringify({ query: c.query, variables: c.variables });
  return h.app.request('/graphql', { method: 'POST', headers, body, duplex: 'half' });
}

describe('hostile requests', () => {
  it('has at least 40 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const h = await harness();
    const commandsBefore = h.runner.calls.length;
    const stateBefore = registryState(h);
    const auditBefore = h.registry.audit.list({}, 1000, null).length;

    const res = await send(h, c);
    const text = await res.text();

    expect(res.status, text.slice(0, 300)).toBe(c.status);
    expect(res.status).toBeLessThan(500);
    const body = JSON.parse(text);
    expect(body.errors?.[0]?.extensions?.code, text.slice(0, 300)).toBe(c.code);
    if (c.message) expect(body.errors[0].message).toMatch(c.message);
    expect(body.data ?? null).toBeNull();
    if (res.status === 401) expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="wgnode"/);
    if (res.status === 403) expect(res.headers.get('www-authenticate')).toMatch(/error="insufficient_scope"/);
    if (res.status === 405) expect(res.headers.get('allow')).toBe('POST');
    // Nothing internal: no stack frame, source path, SQL, or command line.
    expect(text).not.toMatch(/\bat .+\(|\.ts:\d|node_modules|\/work\/|SELECT |INSERT |UPDATE |\bwg set\b|ip netns|Did you mean/);

    expect(h.runner.calls.length).toBe(commandsBefore);
    expect(registryState(h)).toBe(stateBefore);
    const audit = h.registry.audit.list({}, 1000, null);
    if (c.audit) {
      expect(audit.length).toBe(auditBefore + 1);
      expect(audit[0]).toMatchObject({ actor: c.audit.actor, action: c.audit.action, outcome: 'refused:FORBIDDEN' });
    } else {
      expect(audit.length).toBe(auditBefore);
    }

    // Still serving.
    const after = await h.gql('{ devices(userId: 1) { deviceId status sessions { status } } }');
    expect(after.status).toBe(200);
    expect(after.body.data.devices).toEqual([{ deviceId: 1, status: 'ACTIVE', sessions: [{ status: 'ACTIVE' }] }]);
  });
});

// Credentials: the tokens file (hashes, scopes, atomic writes, reloads) and control-plane JWTs
// (EdDSA, ES256, RS256; expiry and skew; issuer and audience; alg none; HS256 key confusion).
import { createHmac } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, exportPKCS8, exportSPKI, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { addToken, readTokensFile, removeToken } from '../../src/auth/index.js';
import { createJwtAuthenticator, loadVerificationKey } from '../../src/auth/jwt.js';
import { createTokensFileAuthenticator } from '../../src/auth/tokens-file-auth.js';
import { ConfigError } from '../../src/config.js';
import { silentLogger } from '../../src/logger.js';
import { ACTIVATE, createHarness, DISCONNECT } from '../support/harness.js';

type SigningKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

const DEVICES = `{ devices(userId: 1) { deviceId } }`;
const tempDir = () => mkdtempSync(join(tmpdir(), 'wgnode-auth-'));

describe('tokens file', () => {
  it('stores only a hash, writes mode 0600 atomically, and returns a high-entropy token once', () => {
    const file = join(tempDir(), 'tokens.json');
    const token = addToken(file, 'monitor', ['read']);
    expect(token).toMatch(/^wgn_[A-Za-z0-9_-]{43}$/);
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(token);
    expect(text).not.toContain(token.slice(4));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(file, '..'))).toEqual(['tokens.json']); // no temp file left behind
    expect(readTokensFile(file).tokens).toEqual([expect.objectContaining({ name: 'monitor', scopes: ['read'] })]);
    expect(addToken(file, 'control-plane', ['admin'])).not.toBe(token);
    expect(readTokensFile(file).tokens.map((t) => t.name)).toEqual(['monitor', 'control-plane']);
  });

  it.each([
    ['a name already in the file', 'monitor', ['read'], /already exists/],
    ['the reserved name local', 'local', ['admin'], /reserved|not be one of/],
    ['a name with a space', 'bad name', ['read'], /must match/],
    ['an unknown scope', 'x', ['root'], /scopes must be/],
    ['no scope', 'y', [], /scopes must be/],
  ])('refuses %s', (_label, name, scopes, message) => {
    const file = join(tempDir(), 'tokens.json');
    addToken(file, 'monitor', ['read']);
    expect(() => addToken(file, name, scopes)).toThrow(message);
    expect(readTokensFile(file).tokens).toHaveLength(1);
  });

  it('refuses a change while another is in progress, and leaves the file as it was', () => {
    const file = join(tempDir(), 'tokens.json');
    addToken(file, 'monitor', ['read']);
    writeFileSync(`${file}.lock`, '');
    expect(() => addToken(file, 'second', ['read'])).toThrow(/being changed by another process/);
    expect(() => removeToken(file, 'monitor')).toThrow(/being changed/);
    expect(readTokensFile(file).tokens.map((t) => t.name)).toEqual(['monitor']);
  });

  it('authenticates its tokens through the app with their scopes, and names them in the audit log', async () => {
    const file = join(tempDir(), 'tokens.json');
    const monitor = addToken(file, 'monitor', ['read']);
    const controlPlane = addToken(file, 'control-plane', ['admin']);
    const h = createHarness({ env: { WGNODE_TOKENS_FILE: file } });
    expect((await h.gql(DEVICES, undefined, monitor)).status).toBe(200);
    expect((await h.gql(ACTIVATE, { userId: 1, deviceId: 1 }, monitor)).status).toBe(403);
    expect((await h.gql(ACTIVATE, { userId: 1, deviceId: 1 }, controlPlane)).status).toBe(200);
    const actors = h.registry.audit.list({}, 10, null).map((r) => [r.actor, r.action, r.outcome]);
    expect(actors).toEqual([
      ['control-plane', 'activate', 'ok'],
      ['monitor', 'activateDevice', 'refused:FORBIDDEN'],
    ]);
    expect(JSON.stringify(h.registry.audit.list({}, 10, null))).not.toContain(controlPlane);
    expect((await h.gql(DEVICES, undefined, `${monitor}x`)).status).toBe(401);
  });

  it('picks up added and removed tokens without a restart, and fails closed on a broken file', async () => {
    const file = join(tempDir(), 'tokens.json');
    const first = addToken(file, 'first', ['read']);
    let clock = 0;
    const auth = createTokensFileAuthenticator({ path: file, log: silentLogger, now: () => clock });
    expect((await auth(first))?.name).toBe('first');
    const second = addToken(file, 'second', ['admin']);
    expect(await auth(second)).toBeNull(); // checked at most once a second
    clock += 1000;
    expect([...((await auth(second))?.scopes ?? [])]).toEqual(['admin']);
    removeToken(file, 'first');
    clock += 1000;
    expect(await auth(first)).toBeNull();
    writeFileSync(file, '{ not json');
    clock += 1000;
    expect(await auth(second)).toBeNull();
  });

  it('refuses to start on a malformed file, naming the problem', () => {
    const file = join(tempDir(), 'tokens.json');
    writeFileSync(file, JSON.stringify({ version: 1, tokens: [{ name: 'x', sha256: 'abc', scopes: ['read'] }] }), { mode: 0o600 });
    expect(() => createHarness({ env: { WGNODE_TOKENS_FILE: file } })).toThrow(/sha256 must be 64/);
  });
});

type Alg = 'EdDSA' | 'ES256' | 'RS256';
const ISSUER = 'https://control.example';
const AUDIENCE = 'wgnode';

async function jwtSetup(alg: Alg, env: Record<string, string> = {}) {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const dir = tempDir();
  const keyFile = join(dir, 'jwt.pem');
  const pem = await exportSPKI(publicKey);
  writeFileSync(keyFile, pem);
  const h = createHarness({
    env: { WGNODE_JWT_PUBLIC_KEY_FILE: keyFile, WGNODE_JWT_ISSUER: ISSUER, WGNODE_JWT_AUDIENCE: AUDIENCE, ...env },
  });
  const sign = (claims: Record<string, unknown> = {}, opts: { exp?: number | null; iss?: string; aud?: string; sub?: string; key?: SigningKey } = {}) => {
    const now = Math.floor(Date.now() / 1000);
    const jwt = new SignJWT({ scope: 'admin', ...claims })
      .setProtectedHeader({ alg })
      .setSubject(opts.sub ?? 'control-plane@eu-1')
      .setIssuer(opts.iss ?? ISSUER)
      .setAudience(opts.aud ?? AUDIENCE)
      .setIssuedAt(now);
    if (opts.exp !== null) jwt.setExpirationTime(opts.exp ?? now + 300);
    return jwt.sign(opts.key ?? privateKey);
  };
  return { h, sign, publicKey, privateKey, pem, dir, keyFile };
}

describe.each(['EdDSA', 'ES256', 'RS256'] as const)('JWT signed with %s', (alg) => {
  it('authenticates, takes scopes from `scope`, and audits the subject', async () => {
    const { h, sign } = await jwtSetup(alg);
    const res = await h.gql(ACTIVATE, { userId: 1, deviceId: 1 }, await sign());
    expect(res.status).toBe(200);
    expect(h.registry.audit.list({}, 1, null)[0]?.actor).toBe('control-plane@eu-1');
    expect((await h.gql(DEVICES, undefined, await sign({ scope: 'openid read' }))).status).toBe(200);
    expect((await h.gql(DISCONNECT, { userId: 1, deviceId: 1 }, await sign({ scope: 'read' }))).status).toBe(403);
    expect((await h.gql(DEVICES, undefined, await sign({ scope: 'profile' }))).status).toBe(403);
  });

  it('refuses a token signed by another key', async () => {
    const { h, sign } = await jwtSetup(alg);
    const other = await generateKeyPair(alg);
    const res = await h.gql(DEVICES, undefined, await sign({}, { key: other.privateKey }));
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(res.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });
});

describe('JWT claims', () => {
  const now = () => Math.floor(Date.now() / 1000);

  it.each([
    [401, 'expired beyond the clock tolerance', {}, { exp: -60 }],
    [200, 'expired within the clock tolerance (30 s)', {}, { exp: -10 }],
    [401, 'without exp', {}, { exp: null }],
    [401, 'not yet valid (nbf beyond the tolerance)', { nbf: 'future' }, {}],
    [401, 'from another issuer', {}, { iss: 'https://evil.example' }],
    [401, 'for another audience', {}, { aud: 'billing' }],
    [401, 'without a subject', {}, { sub: '' }],
    [401, 'with the reserved subject local', {}, { sub: 'local' }],
    [401, 'with the reserved subject reconciler', {}, { sub: 'reconciler' }],
    [401, 'with the reserved subject admin-token', {}, { sub: 'admin-token' }],
    [401, 'with a reserved subject in other case (Local)', {}, { sub: 'Local' }],
    [401, 'with a subject holding a control character', {}, { sub: 'cp\nadmin' }],
  ] as const)('answers %i to a token %s', async (status, _label, claims, opts) => {
    const { h, sign } = await jwtSetup('EdDSA');
    const fixed: Record<string, unknown> = { ...claims };
    if (fixed.nbf === 'future') fixed.nbf = now() + 120;
    const exp = 'exp' in opts ? (opts.exp === null ? null : now() + opts.exp) : undefined;
    const res = await h.gql(DEVICES, undefined, await sign(fixed, { ...opts, exp }));
    expect(res.status).toBe(status);
    if (status === 401) expect(res.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('remembers a verified token only until it expires (plus the tolerance)', async () => {
    const { sign, keyFile } = await jwtSetup('EdDSA');
    let clock = Date.now();
    const config = { publicKeyFile: keyFile, issuer: ISSUER, audience: AUDIENCE, clockToleranceS: 30 };
    const auth = createJwtAuthenticator({ config, key: loadVerificationKey(keyFile), log: silentLogger, now: () => clock });
    const exp = Math.floor(clock / 1000) + 60;
    const token = await sign({}, { exp });
    expect((await auth(token))?.name).toBe('control-plane@eu-1');
    clock = (exp + 29) * 1000;
    expect((await auth(token))?.name).toBe('control-plane@eu-1');
    clock = (exp + 31) * 1000;
    expect(await auth(token)).toBeNull();
    // A token differing only in its signature never hits the remembered one.
    clock = Date.now();
    expect((await auth(token))?.name).toBe('control-plane@eu-1');
    const at = token.lastIndexOf('.') + 10;
    expect(await auth(`${token.slice(0, at)}${token[at] === 'A' ? 'B' : 'A'}${token.slice(at + 1)}`)).toBeNull();
  });

  it('honours WGNODE_JWT_CLOCK_TOLERANCE_S', async () => {
    const { h, sign } = await jwtSetup('EdDSA', { WGNODE_JWT_CLOCK_TOLERANCE_S: '0' });
    expect((await h.gql(DEVICES, undefined, await sign({}, { exp: now() - 5 }))).status).toBe(401);
  });

  it('refuses alg none', async () => {
    const { h } = await jwtSetup('EdDSA');
    const token = new UnsecuredJWT({ scope: 'admin' }).setSubject('x').setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime('5m').encode();
    const res = await h.gql(DEVICES, undefined, token);
    expect(res.status).toBe(401);
    // Even with a dummy signature appended.
    expect((await h.gql(DEVICES, undefined, `${token}c2ln`)).status).toBe(401);
  });

  it.each(['EdDSA', 'RS256'] as const)('refuses HS256 signed with the %s public key bytes (key confusion)', async (alg) => {
    const { h, pem } = await jwtSetup(alg);
    const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: 'mallory', scope: 'admin', iss: ISSUER, aud: AUDIENCE, exp: now() + 300 })}`;
    for (const secret of [pem, pem.trim()]) {
      const signature = createHmac('sha256', secret).update(input).digest('base64url');
      expect((await h.gql(ACTIVATE, { userId: 1, deviceId: 1 }, `${input}.${signature}`)).status).toBe(401);
    }
    expect(h.registry.audit.list({}, 10, null)).toEqual([]);
  });

  it('accepts a JWKS file with the public key', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const dir = tempDir();
    const file = join(dir, 'jwks.json');
    writeFileSync(file, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }] }));
    const h = createHarness({ env: { WGNODE_JWT_PUBLIC_KEY_FILE: file, WGNODE_JWT_ISSUER: ISSUER, WGNODE_JWT_AUDIENCE: AUDIENCE } });
    const token = await new SignJWT({ scope: 'read' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setSubject('monitor')
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime('5m')
      .sign(privateKey);
    expect((await h.gql(DEVICES, undefined, token)).status).toBe(200);
  });

  it.each([
    ['a private key PEM', async () => exportPKCS8((await generateKeyPair('EdDSA', { extractable: true })).privateKey), /private key/],
    ['a JWKS with a symmetric key', () => Promise.resolve(JSON.stringify({ keys: [{ kty: 'oct', k: 'c2VjcmV0' }] })), /symmetric/],
    ['a JWKS with a private JWK', async () => JSON.stringify({ keys: [await exportJWK((await generateKeyPair('ES256', { extractable: true })).privateKey)] }), /private key/],
    ['garbage', () => Promise.resolve('hello'), /not a PEM public key/],
  ])('refuses to start with %s as the key file', async (_label, content, message) => {
    const file = join(tempDir(), 'key');
    writeFileSync(file, await content());
    const start = () => createHarness({ env: { WGNODE_JWT_PUBLIC_KEY_FILE: file, WGNODE_JWT_ISSUER: ISSUER, WGNODE_JWT_AUDIENCE: AUDIENCE } });
    expect(start).toThrow(ConfigError);
    expect(start).toThrow(message);
  });

  it('requires an issuer and an audience with a key file', () => {
    expect(() => createHarness({ env: { WGNODE_JWT_PUBLIC_KEY_FILE: '/nonexistent', WGNODE_JWT_AUDIENCE: AUDIENCE } })).toThrow(/WGNODE_JWT_ISSUER/);
    expect(() => createHarness({ env: { WGNODE_JWT_PUBLIC_KEY_FILE: '/nonexistent', WGNODE_JWT_ISSUER: ISSUER } })).toThrow(/WGNODE_JWT_AUDIENCE/);
  });
});

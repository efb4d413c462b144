// Credentials cannot pass for the node, and credential files must be private: the node's own
// actor names are reserved everywhere a name comes from, and loose or missing credential files
// stop the start-up with the variable named.
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isReservedActor, RESERVED_ACTORS } from '../../src/actors.js';
import { createAuthenticator } from '../../src/auth/index.js';
import { hashToken } from '../../src/auth/static-tokens.js';
import { addToken, parseTokensFile } from '../../src/auth/tokens-file.js';
import { loadConfig } from '../../src/config.js';
import { credentialFileProblem } from '../../src/credential-files.js';
import { silentLogger } from '../../src/logger.js';
import { RECONCILER_ACTOR } from '../../src/actors.js';
import { LOCAL_PRINCIPAL } from '../../src/auth/index.js';
import { createHarness } from '../support/harness.js';

const dir = () => mkdtempSync(join(tmpdir(), 'wgnode-cred-'));
const sha = 'a'.repeat(64);

describe('reserved actor names', () => {
  it('are the names the node itself writes to the audit log', () => {
    expect(RESERVED_ACTORS).toEqual(expect.arrayContaining([LOCAL_PRINCIPAL.name, RECONCILER_ACTOR, 'admin-token']));
    expect(isReservedActor('Reconciler')).toBe(true);
    expect(isReservedActor('reconciler-2')).toBe(false);
  });

  it.each(['reconciler', 'local', 'admin-token', 'LOCAL', 'Reconciler'])('cannot be taken by a tokens file entry (%s)', (name) => {
    expect(() => addToken(join(dir(), 'tokens.json'), name, ['admin'])).toThrow(/not be one of: .*reconciler/);
    expect(() => parseTokensFile({ version: 1, tokens: [{ name, sha256: sha, scopes: ['admin'] }] })).toThrow(/reserved/);
  });

  it.each(['reconciler', 'local'])('cannot be taken by a static token (%s)', (name) => {
    const tokens = [{ name, sha256: hashToken('x'.repeat(20)), scopes: ['admin'] }];
    expect(() => createAuthenticator({ config: { adminToken: null, tokensFile: null, jwt: null }, log: silentLogger, extraTokens: tokens })).toThrow(/reserved/);
  });

  it('lets the static admin token keep its own name', async () => {
    const authenticate = createAuthenticator({ config: { adminToken: 'y'.repeat(20), tokensFile: null, jwt: null }, log: silentLogger });
    expect((await authenticate('y'.repeat(20)))?.name).toBe('admin-token');
  });
});

describe('credential files', () => {
  it('refuses a WGNODE_TOKENS_FILE that does not exist, naming the variable', () => {
    expect(() => loadConfig({ WGNODE_TOKENS_FILE: join(dir(), 'nope.json') })).toThrow(/WGNODE_TOKENS_FILE=.*does not exist/);
  });

  it('refuses a tokens file open to group or others, and starts once it is 0600', () => {
    const file = join(dir(), 'tokens.json');
    addToken(file, 'monitor', ['read']); // created 0600
    expect(loadConfig({ WGNODE_TOKENS_FILE: file }).tokensFile).toBe(file);
    for (const mode of [0o644, 0o640, 0o604, 0o660]) {
      chmodSync(file, mode);
      expect(() => createHarness({ env: { WGNODE_TOKENS_FILE: file } }), mode.toString(8)).toThrow(/WGNODE_TOKENS_FILE=.*open to group or others.*chmod 600/);
    }
    chmodSync(file, 0o400);
    expect(() => createHarness({ env: { WGNODE_TOKENS_FILE: file } })).not.toThrow();
  });

  it('refuses an admin token file open to group or others', () => {
    const file = join(dir(), 'admin-token');
    writeFileSync(file, 'a-token-from-a-file-1234\n', { mode: 0o644 });
    chmodSync(file, 0o644);
    expect(() => loadConfig({ WGNODE_ADMIN_TOKEN_FILE: file })).toThrow(/WGNODE_ADMIN_TOKEN_FILE=.*open to group or others/);
    chmodSync(file, 0o600);
    expect(loadConfig({ WGNODE_ADMIN_TOKEN_FILE: file }).adminToken).toBe('a-token-from-a-file-1234');
  });

  it('lets anyone read the JWT public key, but refuses one that others can write', () => {
    const file = join(dir(), 'jwt.pem');
    writeFileSync(file, 'not checked before the mode\n');
    chmodSync(file, 0o666);
    const env = { WGNODE_JWT_PUBLIC_KEY_FILE: file, WGNODE_JWT_ISSUER: 'i', WGNODE_JWT_AUDIENCE: 'a' };
    expect(() => createHarness({ env })).toThrow(/WGNODE_JWT_PUBLIC_KEY_FILE=.*writable by group or others/);
    expect(credentialFileProblem(file, 'public')).toMatch(/writable/);
    chmodSync(file, 0o644);
    expect(credentialFileProblem(file, 'public')).toBeNull();
    expect(credentialFileProblem(file, 'secret')).toMatch(/open to group or others \(mode 0644\)/);
    expect(credentialFileProblem(dir(), 'secret')).toBe('is not a regular file');
  });

  it('stops honouring a tokens file opened to others after start-up (fails closed)', async () => {
    const file = join(dir(), 'tokens.json');
    const secret = addToken(file, 'monitor', ['read']);
    let clock = Date.now();
    const { createTokensFileAuthenticator } = await import('../../src/auth/tokens-file-auth.js');
    const authenticate = createTokensFileAuthenticator({ path: file, log: silentLogger, now: () => clock });
    expect((await authenticate(secret))?.name).toBe('monitor');
    chmodSync(file, 0o666);
    writeFileSync(file, JSON.stringify({ version: 1, tokens: [{ name: 'monitor', sha256: hashToken(secret), scopes: ['read'] }, { name: 'intruder', sha256: sha, scopes: ['admin'] }] }));
    clock += 1000;
    expect(await authenticate(secret)).toBeNull();
  });
});

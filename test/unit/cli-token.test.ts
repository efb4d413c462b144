// `wgnode token add|list|remove` on the tokens file: the secret shown once, only hashes stored,
// the refusals and their exit codes, and a running agent taking the changes without a restart.
import { serve, type ServerType } from '@hono/node-server';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { readTokensFile } from '../../src/auth/index.js';
import { writeTokensFile } from '../../src/auth/tokens-file.js';
import { EXIT } from '../../src/cli/errors.js';
import { createCliHarness, type CliHarness } from '../support/cli-harness.js';

let h: CliHarness;
let file: string;
beforeEach(async () => {
  h = await createCliHarness();
  file = join(h.dir, 'tokens.json');
});
afterEach(async () => {
  await h.close();
});

const token = (...args: string[]) => h.cli(['token', ...args], { env: { WGNODE_TOKENS_FILE: file } });

describe('wgnode token add', () => {
  it('prints the secret once, on stdout alone, and refuses a duplicate', async () => {
    const added = await h.cli(['token', 'add', 'monitor', '--scope', 'read', '--file', file]);
    expect(added.code).toBe(0);
    const secret = added.stdout.trim();
    expect(secret).toMatch(/^wgn_[A-Za-z0-9_-]{43}$/);
    expect(added.stderr).toMatch(/shown only now/);
    expect(added.stderr).not.toContain(secret);
    expect(readTokensFile(file).tokens).toEqual([expect.objectContaining({ name: 'monitor', scopes: ['read'] })]);
    const again = await h.cli(['token', 'add', 'monitor', '--scope', 'read', '--file', file]);
    expect(again.code).toBe(1);
    expect(again.stdout).toBe('');
    expect(again.stderr).toMatch(/^wgnode: TOKEN_EXISTS: .*monitor already exists/);
    expect((await h.cli(['token', 'add', 'x'])).code).toBe(2);
  });

  it('stores only the hash, in a file of mode 0600 written without a temp file left behind', async () => {
    const { stdout } = await token('add', 'control-plane', '--scope', 'admin', 'read');
    const secret = stdout.trim();
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(secret);
    expect(text).not.toContain(secret.slice(4));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(h.dir).filter((f) => f.includes('tokens'))).toEqual(['tokens.json']);
    expect(readTokensFile(file).tokens).toEqual([expect.objectContaining({ name: 'control-plane', scopes: ['admin', 'read'] })]);
  });

  it('prints the record and the secret as JSON with --json', async () => {
    const run = await token('add', 'monitor', '--scope', 'read,admin', '--json');
    expect(run.code).toBe(EXIT.OK);
    expect(run.json()).toEqual({ name: 'monitor', scopes: ['read', 'admin'], createdAt: expect.any(String), file, token: expect.stringMatching(/^wgn_/) });
  });

  it.each([
    ['an invalid name', ['add', 'bad name', '--scope', 'read'], /NAME/],
    ['a reserved name', ['add', 'local', '--scope', 'admin'], /not local/],
    ['an unknown scope', ['add', 'x', '--scope', 'root'], /must be admin or read/],
    ['no scope', ['add', 'x'], /--scope/],
  ])('exits 2 on %s and leaves the file as it was', async (_label, args, message) => {
    await token('add', 'monitor', '--scope', 'read');
    const before = readFileSync(file, 'utf8');
    const run = await token(...args);
    expect(run.code).toBe(EXIT.USAGE);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^wgnode: USAGE: /);
    expect(run.stderr).toMatch(message);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('exits 2 when no tokens file is named, and 1 when another change holds the lock', async () => {
    const none = await h.cli(['token', 'list']);
    expect(none.code).toBe(EXIT.USAGE);
    expect(none.stderr).toMatch(/WGNODE_TOKENS_FILE/);
    writeFileSync(`${file}.lock`, '');
    const busy = await token('add', 'monitor', '--scope', 'read');
    expect(busy.code).toBe(EXIT.FAILED);
    expect(busy.stderr).toMatch(/^wgnode: TOKENS_FILE: .*being changed by another process/);
  });
});

describe('wgnode token list', () => {
  it('shows names, scopes and creation times, never secrets or hashes', async () => {
    const secret = (await token('add', 'monitor', '--scope', 'read')).stdout.trim();
    await token('add', 'control-plane', '--scope', 'admin');
    const hashes = readTokensFile(file).tokens.map((t) => t.sha256);
    const run = await token('list');
    expect(run.code).toBe(EXIT.OK);
    expect(run.stdout).toMatch(/^NAME\s+SCOPES\s+CREATED$/m);
    expect(run.stdout).toMatch(/^monitor\s+read\s+\d{4}-\d\d-\d\dT/m);
    expect(run.stdout).toMatch(/^control-plane\s+admin\s+/m);
    const json = await token('list', '--json');
    expect(json.json()).toEqual([
      { name: 'monitor', scopes: ['read'], createdAt: expect.any(String) },
      { name: 'control-plane', scopes: ['admin'], createdAt: expect.any(String) },
    ]);
    for (const output of [run.stdout, json.stdout]) {
      expect(output).not.toContain(secret);
      for (const hash of hashes) expect(output).not.toContain(hash);
    }
  });

  it('says so when the file has no tokens (or does not exist yet)', async () => {
    const run = await token('list');
    expect(run.code).toBe(EXIT.OK);
    expect(run.stdout).toMatch(/^no tokens in /);
    expect((await token('list', '--json')).json()).toEqual([]);
  });

  it('exits 1 on a malformed file, naming the problem', async () => {
    writeFileSync(file, '{ not json');
    const run = await token('list');
    expect(run.code).toBe(EXIT.FAILED);
    expect(run.stderr).toMatch(/^wgnode: TOKENS_FILE: .*not valid JSON/);
  });
});

describe('wgnode token remove', () => {
  it('removes the named token and keeps the others', async () => {
    await token('add', 'monitor', '--scope', 'read');
    await token('add', 'control-plane', '--scope', 'admin');
    const run = await token('remove', 'monitor');
    expect(run.code).toBe(EXIT.OK);
    expect(run.stdout).toMatch(/removed token "monitor"/);
    expect(readTokensFile(file).tokens.map((t) => t.name)).toEqual(['control-plane']);
  });

  it('exits 1 with TOKEN_NOT_FOUND for a name not in the file, and changes nothing', async () => {
    await token('add', 'monitor', '--scope', 'read');
    const before = readFileSync(file, 'utf8');
    const run = await token('remove', 'nobody');
    expect(run.code).toBe(EXIT.FAILED);
    expect(run.stderr).toMatch(/^wgnode: TOKEN_NOT_FOUND: no token named nobody/);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });
});

describe('a running agent with the tokens file', () => {
  let agent: CliHarness;
  let server: ServerType;
  let url: string;
  beforeEach(async () => {
    // The file must exist when the agent starts (a missing one is a configuration error): an empty list.
    writeTokensFile(file, { version: 1, tokens: [] });
    agent = await createCliHarness({ env: { WGNODE_TOKENS_FILE: file } });
    server = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: agent.app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
    });
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterEach(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await agent.close();
  });

  // The agent re-reads the file when it changes, checking at most once a second: poll for it.
  const eventually = (check: () => Promise<void>) => vi.waitFor(check, { timeout: 10_000, interval: 100 });
  const status = (secret: string) => agent.cli(['status', '--url', url, '--token', secret]);

  it('accepts a token the CLI added, with its scope, and refuses it once the CLI removed it', async () => {
    const secret = (await token('add', 'monitor', '--scope', 'read')).stdout.trim();
    await eventually(async () => expect((await status(secret)).code).toBe(EXIT.OK));
    const write = await agent.cli(['activate', '--user', '1', '--device', '1', '--url', url, '--token', secret]);
    expect(write.code).toBe(EXIT.AUTH);
    expect(write.stderr).toMatch(/^wgnode: FORBIDDEN: /);

    expect((await token('remove', 'monitor')).code).toBe(EXIT.OK);
    await eventually(async () => expect((await status(secret)).code).toBe(EXIT.AUTH));
    expect((await status(secret)).stderr).toMatch(/^wgnode: UNAUTHENTICATED: /);
  });
});

// The CLI against a remote node (--url/--token, WGNODE_URL/WGNODE_TOKEN), and the socket's
// start-up rules (a stale file is replaced, a live server is not).
import { serve, type ServerType } from '@hono/node-server';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/errors.js';
import { listenOnLocalSocket } from '../../src/local-socket.js';
import { silentLogger } from '../../src/logger.js';
import { createCliHarness, type CliHarness } from '../support/cli-harness.js';
import { ADMIN_TOKEN, READ_TOKEN, seedDevice } from '../support/harness.js';
import { testKey } from '../support/keys.js';
import { auditRows } from '../support/registry-rows.js';

describe('wgnode --url (a remote node over HTTP)', () => {
  let h: CliHarness;
  let server: ServerType;
  let url: string;
  beforeEach(async () => {
    h = await createCliHarness();
    server = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: h.app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
    });
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterEach(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await h.close();
  });

  it('acts as the token principal, with the token from WGNODE_TOKEN or --token', async () => {
    await seedDevice(h, 1, 1, [testKey(1)]);
    const run = await h.cli(['disconnect', '--user', '1', '--device', '1'], { env: { WGNODE_URL: url, WGNODE_TOKEN: ADMIN_TOKEN } });
    expect(run.code).toBe(EXIT.OK);
    expect(h.runner.peers.size).toBe(0);
    const actors = auditRows(h.registry, { action: 'disconnect' }).map((row) => row.actor);
    expect(actors).toEqual(['admin-token']);
    expect((await h.cli(['status', '--url', url, '--token', ADMIN_TOKEN])).code).toBe(EXIT.OK);
  });

  it('exits 4 without a token, with a bad one, or without the scope', async () => {
    const none = await h.cli(['status', '--url', url]);
    expect(none.code).toBe(EXIT.AUTH);
    expect(none.stderr).toMatch(/^wgnode: UNAUTHENTICATED: /);
    expect((await h.cli(['status', '--url', url, '--token', 'not-the-token-at-all'])).code).toBe(EXIT.AUTH);
    const readOnly = await h.cli(['activate', '--user', '1', '--device', '1', '--url', url, '--token', READ_TOKEN]);
    expect(readOnly.code).toBe(EXIT.AUTH);
    expect(readOnly.stderr).toMatch(/^wgnode: FORBIDDEN: /);
  });

  it('exits 3 when nothing listens at the URL', async () => {
    const run = await h.cli(['status', '--url', 'http://127.0.0.1:9', '--token', ADMIN_TOKEN]);
    expect(run.code).toBe(EXIT.UNREACHABLE);
    expect(run.stderr).toMatch(/^wgnode: ECONNREFUSED: cannot reach wgnode at http:\/\/127\.0\.0\.1:9/);
  });
});

describe('the operator socket at start-up', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wgnode-sock-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const app = { fetch: () => new Response('ok') };
  const registry = {} as never;

  it('replaces a stale socket left by a dead process', async () => {
    const path = join(dir, 's.sock');
    // A process that listens, then dies by SIGKILL: its socket file stays behind.
    const child = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(path)}, () => console.log('up'))`]);
    await new Promise((resolve) => child.stdout.once('data', resolve));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    expect(statSync(path).isSocket()).toBe(true);
    const socket = await listenOnLocalSocket({ path, app, registry, log: silentLogger });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    await socket.close();
  });

  it('refuses to take over a socket a live server answers on, or a file that is not a socket', async () => {
    const path = join(dir, 's.sock');
    const first = await listenOnLocalSocket({ path, app, registry, log: silentLogger });
    await expect(listenOnLocalSocket({ path, app, registry, log: silentLogger })).rejects.toThrow(/another process is listening/);
    await first.close();
    const file = join(dir, 'file');
    writeFileSync(file, 'x');
    await expect(listenOnLocalSocket({ path: file, app, registry, log: silentLogger })).rejects.toThrow(/not a socket/);
  });
});

// The container's HEALTHCHECK follows the configuration: the operator socket when there is one,
// else the HTTP port (on loopback for a wildcard address), so WGNODE_SOCKET=off is no false alarm.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { healthTarget, probe } from '../../src/healthcheck.js';
import { startServer } from '../../src/server.js';
import { silentLogger } from '../../src/logger.js';
import { FakeRunner } from '../support/fake-runner.js';

const dir = mkdtempSync(join(tmpdir(), 'wgnode-health-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('healthTarget', () => {
  it('asks the socket when there is one, else the port: loopback for a wildcard address, the address itself otherwise', () => {
    expect(healthTarget({ socketPath: '/var/lib/wgnode/wgnode.sock', host: '0.0.0.0', port: 8080 })).toEqual({ socketPath: '/var/lib/wgnode/wgnode.sock' });
    expect(healthTarget({ socketPath: null, host: '0.0.0.0', port: 8080 })).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(healthTarget({ socketPath: null, host: '::', port: 8080 })).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(healthTarget({ socketPath: null, host: '10.0.0.5', port: 9000 })).toEqual({ host: '10.0.0.5', port: 9000 });
  });

  it('reads WGNODE_SOCKET, WGNODE_HOST and WGNODE_PORT as the server does', () => {
    expect(healthTarget(loadConfig({ WGNODE_DB: '/var/lib/wgnode/wgnode.db' }))).toEqual({ socketPath: '/var/lib/wgnode/wgnode.sock' });
    expect(healthTarget(loadConfig({ WGNODE_SOCKET: 'off', WGNODE_HOST: '0.0.0.0', WGNODE_PORT: '8080' }))).toEqual({ host: '127.0.0.1', port: 8080 });
  });
});

describe('the healthcheck against a running server', () => {
  async function serve(env: Record<string, string>) {
    return startServer(loadConfig({ WGNODE_DB: ':memory:', WGNODE_HOST: '127.0.0.1', WGNODE_PORT: '0', ...env }), { runner: new FakeRunner(), log: silentLogger });
  }

  it('is healthy over the socket, and unhealthy once the server is gone', async () => {
    const socketPath = join(dir, 'wgnode.sock');
    const running = await serve({ WGNODE_SOCKET: socketPath });
    expect(await probe(healthTarget({ socketPath, host: '127.0.0.1', port: running.port }))).toBe(true);
    await running.agent.stop();
    expect(await probe({ socketPath })).toBe(false);
  });

  it('with WGNODE_SOCKET=off, the script itself answers 0 from the HTTP port (and 1 when nothing listens)', async () => {
    const running = await serve({ WGNODE_SOCKET: 'off', WGNODE_HOST: '0.0.0.0' });
    const script = join(import.meta.dirname, '../../src/healthcheck.ts');
    const run = (port: number) =>
      promisify(execFile)(process.execPath, ['--import', 'tsx', script], { env: { ...process.env, WGNODE_SOCKET: 'off', WGNODE_HOST: '0.0.0.0', WGNODE_PORT: String(port), WGNODE_DB: ':memory:' } }).then(
        () => 0,
        (error: { code?: number }) => error.code ?? -1,
      );
    try {
      expect(await run(running.port)).toBe(0);
    } finally {
      await running.agent.stop();
    }
    expect(await run(running.port)).toBe(1);
  });
});

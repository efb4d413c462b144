// The composed agent's lifecycle: start() brings up the port, the socket and the reconciler;
// stop() takes them all down, once, whether or not start() ran or succeeded.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createHarness } from '../support/harness.js';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'wgnode-lifecycle-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('the composed agent', () => {
  it('starts the port, the socket and the first reconcile pass, and stop() takes them down', async () => {
    const socketPath = join(tempDir(), 'wgnode.sock');
    const h = createHarness({ env: { WGNODE_HOST: '127.0.0.1', WGNODE_PORT: '0', WGNODE_SOCKET: socketPath } });
    const listening = await h.agent.start();
    expect(listening.port).toBeGreaterThan(0);
    expect(listening.socket?.path).toBe(socketPath);
    expect(h.agent.reconciler.lastReport()).toMatchObject({ ok: true });
    expect((await fetch(`http://127.0.0.1:${listening.port}/livez`)).status).toBe(200);

    await h.agent.stop();
    await expect(fetch(`http://127.0.0.1:${listening.port}/livez`)).rejects.toThrow();
    expect(existsSync(socketPath)).toBe(false);
    expect(() => h.registry.ping()).toThrow(/not open/);
    await h.agent.stop(); // a second stop is a no-op
  });

  it('stops without having started (tests compose it without listeners)', async () => {
    const h = createHarness();
    await h.agent.stop();
    expect(() => h.registry.ping()).toThrow(/not open/);
  });

  it('stops what it started when start() fails, and says why', async () => {
    const file = join(tempDir(), 'not-a-socket');
    writeFileSync(file, 'x');
    const h = createHarness({ env: { WGNODE_HOST: '127.0.0.1', WGNODE_PORT: '0', WGNODE_SOCKET: file } });
    await expect(h.agent.start({ reconcile: false })).rejects.toThrow(/not a socket/);
    expect(() => h.registry.ping()).toThrow(/not open/);
    await expect(h.agent.start()).rejects.toThrow();
  });
});

// A `wg` that hangs: it is killed at the command timeout (with whatever it started), the callers
// of the stuck call get 503 REMOVAL_PENDING, and the changes queued behind it go out right after,
// not one timeout each.
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAgent } from '../../src/agent.js';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/logger.js';
import { createPeerCoalescer } from '../../src/wireguard/coalescer.js';
import { createSetPeers } from '../../src/wireguard/interface.js';
import { CommandTimeoutError, createExecaRunner } from '../../src/wireguard/runner.js';
import { createHarness, DISCONNECT, seedDevice } from '../support/harness.js';
import { FakeRunner } from '../support/fake-runner.js';
import { testKey } from '../support/keys.js';

/** The next `wg set` hangs until the returned function is called (standing in for the timeout). */
function hangNextSet(runner: FakeRunner): () => void {
  let timeOut!: () => void;
  const timedOut = new Promise<void>((resolve) => (timeOut = resolve));
  runner.hangOnce = (argv) => (argv.includes('set') ? timedOut : null);
  return timeOut;
}

/** Gone, or a zombie waiting for a reaper (in a container PID 1 may never reap it): not running either way. */
function isRunning(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

const flush = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe('a hung wg (fake runner)', () => {
  it('fails the whole stuck batch at the timeout without retrying it request by request, and runs the queue right after', async () => {
    const runner = new FakeRunner();
    const peers = createPeerCoalescer(createSetPeers({ runner, name: 'wg0', wgBin: 'wg', ipBin: 'ip', netns: '' }));
    const timeOut = hangNextSet(runner);
    const stuck = Array.from({ length: 5 }, (_, i) => peers.removePeers([testKey(i + 1)]));
    await flush(); // the shared call is in flight, and hangs
    const queued = Array.from({ length: 5 }, (_, i) => peers.removePeers([testKey(i + 10)]));
    timeOut();
    const results = await Promise.allSettled([...stuck, ...queued]);
    expect(results.slice(0, 5).every((r) => r.status === 'rejected' && r.reason instanceof CommandTimeoutError)).toBe(true);
    expect(results.slice(5).every((r) => r.status === 'fulfilled')).toBe(true);
    // One call hung (the five stuck requests together), one carried the five queued: no retries of the stuck ones.
    expect(runner.setCalls()).toHaveLength(2);
  });

  it('answers 503 REMOVAL_PENDING to the stuck revocation and 200 to the one queued behind it; the reconciler finishes the first', async () => {
    const h = createHarness();
    await seedDevice(h, 1, 1, [testKey(1)]);
    await seedDevice(h, 2, 1, [testKey(2)]);
    const timeOut = hangNextSet(h.runner);
    const first = h.gql(DISCONNECT, { userId: 1, deviceId: 1 });
    await new Promise((resolve) => setTimeout(resolve, 20)); // its wg set is in flight and hangs
    const second = h.gql(DISCONNECT, { userId: 2, deviceId: 1 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    timeOut();
    const [a, b] = await Promise.all([first, second]);
    expect(a.status).toBe(503);
    expect(a.body.errors[0].extensions.code).toBe('REMOVAL_PENDING');
    expect(b.status).toBe(200);
    expect(h.runner.peers.has(testKey(2))).toBe(false);
    expect(h.runner.peers.has(testKey(1))).toBe(true);
    await h.agent.reconciler.runOnce();
    expect(h.runner.peers.size).toBe(0);
  });
});

describe('a hung wg (a real program)', () => {
  it('is killed at WGNODE_COMMAND_TIMEOUT_MS with the children it started, and the next call goes out', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wgnode-hang-'));
    const wg = join(dir, 'wg');
    // Once armed, the first `wg set` hangs, with a child holding its stdout open; later calls succeed.
    writeFileSync(
      wg,
      `#!/bin/sh\nif [ "$1" = set ] && [ -e "${dir}/arm" ] && mkdir "${dir}/hung" 2>/dev/null; then\n  sleep 30 & echo $! > "${dir}/sleep.pid"; wait\nfi\nexit 0\n`,
    );
    chmodSync(wg, 0o755);
    const config = loadConfig({ WGNODE_DB: ':memory:', WGNODE_WG_BIN: wg, WGNODE_COMMAND_TIMEOUT_MS: '300', WGNODE_SOCKET: 'off' });
    const agent = createAgent(config, { log: silentLogger, runner: createExecaRunner({ timeoutMs: config.commandTimeoutMs }) });
    try {
      const actor = 't';
      for (const [userId, n] of [[1, 1], [2, 2]] as const) {
        await agent.service.activateDevice({ actor, userId, deviceId: 1 });
        await agent.service.connectDevice({ actor, userId, deviceId: 1, publicKey: testKey(n) });
      }
      writeFileSync(join(dir, 'arm'), '');
      const first = agent.service.disconnectDevice({ actor, userId: 1, deviceId: 1 });
      while (!existsSync(join(dir, 'sleep.pid'))) await new Promise((resolve) => setTimeout(resolve, 10));
      const second = agent.service.disconnectDevice({ actor, userId: 2, deviceId: 1 });
      const [a, b] = await Promise.allSettled([first, second]);
      expect(a.status === 'rejected' && (a.reason as { code?: string }).code).toBe('REMOVAL_PENDING');
      expect(b).toEqual({ status: 'fulfilled', value: true });
      // The hung program's child went with it: nothing of the stuck call is left running.
      const sleeper = Number(readFileSync(join(dir, 'sleep.pid'), 'utf8'));
      expect(isRunning(sleeper)).toBe(false);
    } finally {
      await agent.stop();
    }
  });
});

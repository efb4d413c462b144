// Shutdown and restart on a real interface: SIGTERM lets in-flight revocations finish (200) and
// exits 0 with the WAL checkpointed; a second SIGTERM exits at once; a restart while the
// interface is missing comes up not ready and restores the peers once the interface is back.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { createTestbed, startWgnode, type Testbed, waitFor, type WgnodeProcess } from '../../src/testbed/index.js';
import { describeE2E } from '../support/e2e.js';

const ACTIVATE = `mutation ($u: Int!) { activateDevice(userId: $u, deviceId: 1) { status } }`;
const CONNECT = `mutation ($u: Int!, $k: String!) { connectDevice(userId: $u, deviceId: 1, publicKey: $k) { id } }`;
const DEACTIVATE = `mutation ($u: Int!) { deactivateDevice(userId: $u, deviceId: 1, reason: "shutdown test") }`;

function deactivatedCount(dbPath: string): number {
  const db = new Database(dbPath, { readonly: true });
  try {
    return db.prepare(`SELECT count(*) FROM devices WHERE status = 'DEACTIVATED'`).pluck().get() as number;
  } finally {
    db.close();
  }
}

const exitOf = (server: WgnodeProcess) =>
  new Promise<number | null>((resolve) => {
    if (server.child.exitCode !== null || server.child.signalCode !== null) resolve(server.child.exitCode);
    else server.child.once('exit', (code) => resolve(code));
  });

describeE2E('shutdown and restart (wireguard-go)', () => {
  let tb: Testbed;
  let server: WgnodeProcess | undefined;
  let dir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    tb = await createTestbed({ prefix: 'shd' });
  }, 60_000);

  afterEach(async () => {
    await server?.stop();
    server = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  afterAll(async () => {
    await tb?.teardown();
  });

  /** A fresh database, and a `wg` that takes `delayS` on every `wg set` (so requests are in flight). */
  function setup(delayS: number) {
    dir = mkdtempSync(join(tmpdir(), 'wgnode-shutdown-'));
    const wg = join(dir, 'slow-wg');
    writeFileSync(wg, `#!/bin/sh\nif [ "$1" = set ] && [ -e "${dir}/slow" ]; then sleep ${delayS}; fi\nexec wg "$@"\n`);
    chmodSync(wg, 0o755);
    env = {
      WGNODE_DB: join(dir, 'wgnode.db'),
      WGNODE_INTERFACE: tb.node.iface,
      WGNODE_NETNS: tb.nodeNs,
      WGNODE_WG_BIN: wg,
      WGNODE_RECONCILE_INTERVAL_MS: '300',
      WGNODE_COMMAND_TIMEOUT_MS: '30000',
      WGNODE_LOG_LEVEL: 'info', // the shutdown lines
    };
  }

  async function seed(n: number): Promise<string[]> {
    const keys = Array.from({ length: n }, () => randomBytes(32).toString('base64'));
    for (let i = 0; i < n; i++) {
      expect((await server!.gql(ACTIVATE, { u: i + 1 })).status).toBe(200);
      expect((await server!.gql(CONNECT, { u: i + 1, k: keys[i] })).status).toBe(200);
    }
    return keys;
  }

  it('SIGTERM with revocations in flight: they answer 200, their peers are gone, exit 0, the WAL is empty', async () => {
    setup(1);
    server = await startWgnode(env);
    const keys = await seed(20);
    writeFileSync(join(dir, 'slow'), '');
    const answers = keys.map((_, i) => server!.gql(DEACTIVATE, { u: i + 1 }));
    // Every request has reached the node and recorded its intent: all 20 are in flight, waiting on wg.
    await waitFor(() => deactivatedCount(env.WGNODE_DB!) === 20, 10_000, 'the deactivations did not all arrive');
    const exited = exitOf(server);
    server.child.kill('SIGTERM');

    const results = await Promise.all(answers);
    expect(results.map((r) => r.status)).toEqual(keys.map(() => 200));
    expect(results.every((r) => r.body.data.deactivateDevice === true)).toBe(true);
    expect(await exited).toBe(0);
    expect(server.output()).not.toMatch(/cut short/);
    const peers = await tb.node.peers();
    expect(keys.filter((k) => peers.includes(k))).toEqual([]);
    const wal = `${env.WGNODE_DB}-wal`;
    expect(!existsSync(wal) || statSync(wal).size === 0).toBe(true);
    server = undefined;
  }, 60_000);

  it('a second SIGTERM exits at once, non-zero; the next start finishes the pending revocation', async () => {
    setup(30);
    server = await startWgnode(env);
    const [key] = await seed(1);
    writeFileSync(join(dir, 'slow'), '');
    const answer = server.gql(DEACTIVATE, { u: 1 }).catch(() => null); // the connection dies with the process
    await waitFor(() => deactivatedCount(env.WGNODE_DB!) === 1, 10_000, 'the deactivation did not arrive');
    const exited = exitOf(server);
    server.child.kill('SIGTERM');
    await waitFor(() => /shutting down/.test(server!.output()), 5_000, 'no shutdown log line');
    server.child.kill('SIGTERM');
    expect(await exited).toBe(1);
    expect(server.output()).toMatch(/cut short/);
    await answer;

    rmSync(join(dir, 'slow'));
    server = await startWgnode(env);
    await waitFor(async () => !(await tb.node.peers()).includes(key!), 5_000, 'the revoked peer stayed after the restart');
  }, 60_000);

  it('a restart while the interface is missing comes up not ready, and restores the ACTIVE peers when it is back', async () => {
    setup(0);
    server = await startWgnode(env);
    const keys = await seed(3);
    expect((await server.gql(DEACTIVATE, { u: 3 })).status).toBe(200);
    await server.stop();
    await tb.node.destroy();

    server = await startWgnode(env);
    const readyz = await server.get('/readyz');
    expect(readyz.status).toBe(503);
    expect(readyz.body.checks.interface).toEqual({ ok: false, detail: `interface ${tb.node.iface} does not exist` });

    await tb.node.recreate(); // empty of peers
    await waitFor(async () => (await server!.get('/readyz')).status === 200, 10_000, '/readyz did not turn ready');
    await waitFor(async () => (await tb.node.peers()).length === 2, 5_000, 'the ACTIVE peers were not restored');
    expect((await tb.node.peers()).sort()).toEqual(keys.slice(0, 2).sort());
  }, 60_000);
});

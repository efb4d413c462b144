// kill -9 in the middle of revoking hundreds of devices: after a restart every recorded
// deactivation stands, no revoked device keeps a peer, and the database is intact.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestbed, startWgnode, type Testbed, waitFor, type WgnodeProcess } from '../../src/testbed/index.js';
import { describeE2E } from '../support/e2e.js';

const DEVICES = 300;
const KILL_AFTER = 100; // answers
const INTERVAL_MS = 500;
const ACTIVATE = `mutation ($u: Int!) { activateDevice(userId: $u, deviceId: 1) { status } }`;
const CONNECT = `mutation ($u: Int!, $k: String!) { connectDevice(userId: $u, deviceId: 1, publicKey: $k) { id } }`;
const DEACTIVATE = `mutation ($u: Int!) { deactivateDevice(userId: $u, deviceId: 1, reason: "crash test") }`;

/** Runs task(i) for i in [0, n) with `width` in flight at once, until stop() says so. */
async function pool(n: number, width: number, task: (i: number) => Promise<void>, stop = () => false): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < n && !stop()) await task(next++);
    }),
  );
}

function readRegistry(dbPath: string) {
  const db = new Database(dbPath, { readonly: true });
  try {
    return {
      integrity: db.pragma('integrity_check', { simple: true }) as string,
      deactivated: new Set(db.prepare(`SELECT user_id FROM devices WHERE status = 'DEACTIVATED'`).pluck().all() as number[]),
      sessions: db.prepare(`SELECT user_id AS userId, public_key AS publicKey, status FROM sessions`).all() as { userId: number; publicKey: string; status: string }[],
    };
  } finally {
    db.close();
  }
}

describeE2E('kill -9 during mass revocation (wireguard-go)', () => {
  let tb: Testbed;
  let server: WgnodeProcess | undefined;
  let dir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wgnode-crash-'));
    tb = await createTestbed({ prefix: 'crh' });
    env = {
      WGNODE_DB: join(dir, 'wgnode.db'),
      WGNODE_INTERFACE: tb.node.iface,
      WGNODE_NETNS: tb.nodeNs,
      WGNODE_RECONCILE_INTERVAL_MS: String(INTERVAL_MS),
    };
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    await tb?.teardown();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(`finishes every recorded deactivation after a restart, and keeps the registry intact`, async () => {
    server = await startWgnode(env);
    const keys = Array.from({ length: DEVICES }, () => randomBytes(32).toString('base64'));
    await pool(DEVICES, 20, async (i) => {
      expect((await server!.gql(ACTIVATE, { u: i + 1 })).status).toBe(200);
      expect((await server!.gql(CONNECT, { u: i + 1, k: keys[i] })).status).toBe(200);
    });
    expect((await tb.node.peers()).length).toBe(DEVICES);

    // Deactivate them all, 50 in flight at a time; kill -9 once a third has answered.
    const answeredTrue = new Set<number>();
    // Set inside a callback: `as` keeps TypeScript from narrowing it to null for good.
    let killed = null as Promise<void> | null;
    await pool(
      DEVICES,
      50,
      async (i) => {
        try {
          const res = await server!.gql(DEACTIVATE, { u: i + 1 });
          if (res.body?.data?.deactivateDevice === true) answeredTrue.add(i + 1);
        } catch {
          // the connection died with the server: no answer
        }
        if (answeredTrue.size >= KILL_AFTER) killed ??= server!.kill9();
      },
      () => killed !== null,
    );
    await killed;
    expect(answeredTrue.size).toBeGreaterThanOrEqual(KILL_AFTER);
    expect(answeredTrue.size).toBeLessThan(DEVICES);

    const afterCrash = readRegistry(env.WGNODE_DB!);
    expect(afterCrash.integrity).toBe('ok');
    for (const userId of answeredTrue) expect(afterCrash.deactivated.has(userId)).toBe(true);
    const leftBehind = afterCrash.sessions.filter((s) => s.status === 'ENDING').length;
    console.log(
      `[measure] killed after ${answeredTrue.size} answers: ${afterCrash.deactivated.size} deactivations recorded, ${leftBehind} sessions left ENDING`,
    );

    const restartedAt = performance.now();
    server = await startWgnode(env);
    const revokedKeys = new Set(afterCrash.sessions.filter((s) => afterCrash.deactivated.has(s.userId)).map((s) => s.publicKey));
    const ms = await waitFor(async () => !(await tb.node.peers()).some((k) => revokedKeys.has(k)), INTERVAL_MS + 1500, 'a revoked device kept its peer');
    console.log(`[measure] restart → no revoked peer left: ${Math.round(performance.now() - restartedAt)} ms from spawn (${ms} ms after it listened)`);

    await server.stop();
    server = undefined;
    const final = readRegistry(env.WGNODE_DB!);
    expect(final.integrity).toBe('ok');
    for (const userId of afterCrash.deactivated) expect(final.deactivated.has(userId)).toBe(true);
    expect(final.sessions.filter((s) => s.status === 'ENDING')).toEqual([]);
    // Both directions agree: exactly the ACTIVE sessions' peers are on the interface.
    const active = final.sessions.filter((s) => s.status === 'ACTIVE').map((s) => s.publicKey);
    expect((await tb.node.peers()).sort()).toEqual(active.sort());
    expect(active.length).toBe(DEVICES - final.deactivated.size);
  }, 120_000);
});

// The control plane's side on real wireguard-go: three node processes in their own namespaces,
// one fleet client deactivates a device on all three while one node is killed -9 in the middle of
// its removal and restarted on the same database and port. The client's retries (same
// Idempotency-Key) converge, no interface keeps the device's peer, and the client's change
// follower, started from each node's snapshot cursor, hands over every change exactly once.
//
// The restarted victim's `wg ... remove` keeps failing until the test lets it, and its reconciler
// waits: so the client's retry (not the start-up pass) is what finishes the removal, and it answers
// true. (Had the start-up pass finished it first, the retry would answer DEVICE_NOT_FOUND: the
// crashed attempt never stored its answer for replay.)
import { chmodSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createFleetClient, type Change, type FeedEvent, type FleetClient, type Follower } from '../../src/client/index.js';
import { createTestbed, E2E_ADMIN_TOKEN, generateKeyPair, startWgnode, waitFor, type Testbed, type WgnodeProcess } from '../../src/testbed/index.js';
import { describeE2E } from '../support/e2e.js';

const NODES = 3;
const VICTIM = 1; // the node killed mid-call
const USER = 7;
const DEVICE = 1;
const INTERVAL_MS = 500;

interface Node {
  name: string;
  tb: Testbed;
  env: Record<string, string>;
  server: WgnodeProcess;
  port: number;
}

function sessionStatus(dbPath: string): string | undefined {
  const db = new Database(dbPath, { readonly: true });
  try {
    return db.prepare(`SELECT status FROM sessions WHERE user_id = ? AND device_id = ?`).pluck().get(USER, DEVICE) as string | undefined;
  } finally {
    db.close();
  }
}

/** Deactivations of the device that were retries of an unconfirmed removal (audit detail retry: true). */
function retriedRemovals(dbPath: string): number {
  const db = new Database(dbPath, { readonly: true });
  try {
    return db.prepare(`SELECT count(*) FROM audit_log WHERE action = 'deactivate' AND user_id = ? AND detail LIKE '%"retry":true%'`).pluck().get(USER) as number;
  } finally {
    db.close();
  }
}

describeE2E('fleet client over three nodes (wireguard-go)', () => {
  const nodes: Node[] = [];
  let dir: string;
  let hold: string;
  let fleet: FleetClient | undefined;
  let watcher: FleetClient | undefined;
  let follower: Follower | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wgnode-fleet-'));
    // While the hold file exists, the victim's `wg ... remove` takes a second and fails: the kill
    // lands while the removal runs (intent written, session ENDING, peer still on).
    hold = join(dir, 'hold-removals');
    writeFileSync(hold, '');
    const heldRemove = join(dir, 'wg-held-remove');
    writeFileSync(heldRemove, `#!/bin/sh\ncase "$*" in *remove*) if [ -e '${hold}' ]; then sleep 1; exit 1; fi ;; esac\nexec wg "$@"\n`);
    chmodSync(heldRemove, 0o755);
    for (let i = 0; i < NODES; i++) {
      const tb = await createTestbed({ prefix: `flt${i}` });
      const env: Record<string, string> = {
        WGNODE_DB: join(dir, `node${i}.db`),
        WGNODE_INTERFACE: tb.node.iface,
        WGNODE_NETNS: tb.nodeNs,
        WGNODE_RECONCILE_INTERVAL_MS: String(INTERVAL_MS),
        ...(i === VICTIM ? { WGNODE_WG_BIN: heldRemove } : {}),
      };
      const server = await startWgnode(env);
      nodes.push({ name: `node-${i}`, tb, env, server, port: Number(new URL(server.url).port) });
    }
  }, 120_000);

  afterAll(async () => {
    await follower?.stop();
    fleet?.close();
    watcher?.close();
    for (const node of nodes) {
      await node.server.stop();
      await node.tb.teardown();
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('converges on every node after a kill -9 mid-call, and the follower sees each change once', async () => {
    fleet = createFleetClient({
      nodes: nodes.map((n) => ({ name: n.name, url: n.server.url })),
      // Enough retries to outlast the victim's restart (a few seconds).
      defaults: { token: E2E_ADMIN_TOKEN, timeoutMs: 10_000, retry: { retries: 20, baseDelayMs: 200, maxDelayMs: 1000 } },
    });
    const key = generateKeyPair().publicKey;

    // The same user and device with a session on all three.
    for (const r of await fleet.activateDevice({ userId: USER, deviceId: DEVICE })) expect(r, r.node).toMatchObject({ ok: true });
    const connected = await fleet.each((client) => client.connectDevice({ userId: USER, deviceId: DEVICE, publicKey: key }));
    for (const r of connected) expect(r, r.node).toMatchObject({ ok: true });
    for (const n of nodes) expect(await n.tb.node.peers()).toEqual([key]);

    // Each node's state and the cursor it is consistent with; follow from there.
    const from: Record<string, string> = {};
    for (const [name, client] of fleet.nodes) {
      const page = await client.snapshot({ first: 100 });
      if (!page.ok) throw new Error(`${name}: snapshot answered ${page.code}`);
      expect(page.data.pageInfo.hasNextPage).toBe(false);
      expect(page.data.sessions.map((s) => s.status)).toEqual(['ACTIVE']);
      from[name] = page.data.cursor;
    }
    // The follower's own client does not retry a poll: a dead node drops its feed, and the
    // follower's reconnect (from the last cursor it handed over) is what is tested.
    watcher = createFleetClient({
      nodes: nodes.map((n) => ({ name: n.name, url: n.server.url })),
      defaults: { token: E2E_ADMIN_TOKEN, timeoutMs: 5_000, retry: { retries: 0 } },
    });
    follower = watcher.follow({ from, intervalMs: 100, reconnect: { baseDelayMs: 100, maxDelayMs: 500 } });
    const events: FeedEvent[] = [];
    const consumed = (async () => {
      for await (const event of follower) events.push(event);
    })();

    // One logical call to the fleet; the victim dies while its removal runs, and comes back.
    const victim = nodes[VICTIM]!;
    const call = fleet.deactivateDevice({ userId: USER, deviceId: DEVICE, reason: 'fleet e2e' });
    await waitFor(() => sessionStatus(victim.env.WGNODE_DB!) === 'ENDING', 10_000, 'the victim never started the removal', 5);
    await victim.server.kill9();
    expect(sessionStatus(victim.env.WGNODE_DB!)).toBe('ENDING');
    expect(await victim.tb.node.peers()).toEqual([key]);
    victim.server = await startWgnode({ ...victim.env, WGNODE_RECONCILE_INTERVAL_MS: '600000' }, { port: victim.port });
    // The client's retry reached the restarted node and met the failing removal (503), then wg works again.
    await waitFor(() => retriedRemovals(victim.env.WGNODE_DB!) > 0, 30_000, 'no retry reached the restarted victim');
    expect(await victim.tb.node.peers()).toEqual([key]);
    unlinkSync(hold);

    const results = await call;
    for (const r of results) expect(r, r.node).toMatchObject({ ok: true, data: true });
    expect(results[VICTIM]!.attempts).toBeGreaterThan(1);
    for (const n of nodes) expect(await n.tb.node.peers(), n.name).toEqual([]);
    for (const n of nodes) expect(sessionStatus(n.env.WGNODE_DB!), n.name).toBe('ENDED');

    // What each node's feed holds after the snapshot cursor, read with the changes query.
    const expected = new Map<string, Change[]>();
    for (const [name, client] of fleet.nodes) {
      const rows: Change[] = [];
      for (let after: string | null = from[name]!; ; ) {
        const page = await client.changes({ after, first: 100 });
        if (!page.ok) throw new Error(`${name}: changes answered ${page.code}`);
        rows.push(...page.data.nodes);
        after = page.data.pageInfo.endCursor ?? after;
        if (!page.data.pageInfo.hasNextPage) break;
      }
      expect(rows.map((c) => c.kind), name).toEqual(expect.arrayContaining(['DEVICE_DEACTIVATED', 'SESSION_ENDING', 'SESSION_ENDED']));
      expected.set(name, rows);
    }
    const delivered = (name: string) => events.flatMap((e) => (e.type === 'change' && e.node === name ? [e.change] : []));
    await waitFor(() => nodes.every((n) => delivered(n.name).length >= expected.get(n.name)!.length), 10_000, 'the follower did not catch up');
    // Let one more poll pass, so a duplicate delivered late would be caught too.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await follower.stop();
    await consumed;

    const seen = new Set<string>();
    for (const e of events) {
      if (e.type !== 'change') continue;
      const id = `${e.node} ${e.change.cursor}`;
      expect(seen.has(id), `delivered twice: ${id}`).toBe(false);
      seen.add(id);
    }
    for (const n of nodes) expect(delivered(n.name).map((c) => c.cursor), n.name).toEqual(expected.get(n.name)!.map((c) => c.cursor));
    expect(events.filter((e) => e.type === 'resync-required')).toEqual([]);
    // The victim's feed did drop while it was down; the follower came back to it.
    expect(events.some((e) => e.type === 'reconnected' && e.node === victim.name)).toBe(true);
  }, 120_000);
});

// The fleet client: one call fanned out over many nodes with per-node answers, and one follower
// over many nodes' change feeds that resumes from each node's cursor after a dropped connection.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createFleetClient, type Change, type FeedEvent, type Follower } from '../../src/client/index.js';
import { ADMIN_TOKEN, createHarness, type Harness } from '../support/harness.js';
import { testKey } from '../support/keys.js';

const FAST = { retries: 2, baseDelayMs: 5, maxDelayMs: 20 };
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startAgent(): Promise<{ h: Harness; url: string }> {
  const h = createHarness({ env: { WGNODE_HOST: '127.0.0.1', WGNODE_PORT: '0', WGNODE_SOCKET: 'off' } });
  const { port } = await h.agent.start({ reconcile: false });
  cleanups.push(() => h.agent.stop());
  return { h, url: `http://127.0.0.1:${port}` };
}

describe('createFleetClient fan-out', () => {
  it('answers per node: ok, domain error, unreachable after retries', async () => {
    const [a, b, c] = [await startAgent(), await startAgent(), await startAgent()];
    const fleet = createFleetClient({
      nodes: [
        { name: 'a', url: a.url },
        { name: 'b', url: b.url },
        { name: 'c', url: c.url },
      ],
      defaults: { token: ADMIN_TOKEN, retry: FAST },
    });
    cleanups.push(() => fleet.close());
    expect((await fleet.nodes.get('a')!.activateDevice({ userId: 1, deviceId: 1 })).ok).toBe(true);
    expect((await fleet.nodes.get('a')!.connectDevice({ userId: 1, deviceId: 1, publicKey: testKey(1) })).ok).toBe(true);
    // b knows the user but not this device.
    expect((await fleet.nodes.get('b')!.activateDevice({ userId: 1, deviceId: 2 })).ok).toBe(true);
    await c.h.agent.stop();

    const results = await fleet.deactivateDevice({ userId: 1, deviceId: 1, reason: 'fleet test' });

    expect(results.map((r) => [r.node, r.ok, r.ok ? r.data : r.kind])).toEqual([
      ['a', true, true],
      ['b', false, 'domain'],
      ['c', false, 'unreachable'],
    ]);
    expect(results[1]).toMatchObject({ code: 'DEVICE_NOT_FOUND', attempts: 1 });
    expect(results[2]).toMatchObject({ code: 'ECONNREFUSED', attempts: FAST.retries + 1 });
    expect(a.h.runner.peers.has(testKey(1))).toBe(false);
  });

  it('runs a bulk call on the nodes named only', async () => {
    const [a, b] = [await startAgent(), await startAgent()];
    const fleet = createFleetClient({ nodes: [{ name: 'a', url: a.url, token: ADMIN_TOKEN }, { name: 'b', url: b.url, token: ADMIN_TOKEN }] });
    cleanups.push(() => fleet.close());
    const results = await fleet.disconnectDevices({ items: [{ userId: 5, deviceId: 5 }] }, { nodes: ['b'] });
    expect(results.map((r) => r.node)).toEqual(['b']);
    expect(results[0]).toMatchObject({ ok: true, data: [{ userId: 5, deviceId: 5, ok: false }] });
  });

  it('keeps at most `concurrency` calls in flight', async () => {
    const nodes = Array.from({ length: 10 }, (_, i) => ({ name: `n${i}`, url: `http://127.0.0.1:9/${i}` }));
    const fleet = createFleetClient({ nodes, concurrency: 3 });
    let inFlight = 0;
    let most = 0;
    const results = await fleet.each(async (_client, node) => {
      most = Math.max(most, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight--;
      return { ok: true as const, data: node, replayed: false, attempts: 1 };
    });
    fleet.close();
    expect(most).toBe(3);
    expect(results.map((r) => r.ok && r.data)).toEqual(nodes.map((n) => n.name));
  });
});

/** A node that serves only `changes`, from a list it can grow; it can drop every request while `down`. */
async function fakeFeedNode(name: string) {
  const changes: Change[] = [];
  const afters: Array<string | null> = [];
  const node = {
    down: false,
    afters,
    add(count: number) {
      for (let i = 0; i < count; i++) {
        const seq = changes.length + 1;
        changes.push({ cursor: `${name}:${seq}`, kind: 'SESSION_ENDED', at: new Date(seq * 1000).toISOString(), userId: 1, deviceId: seq, sessionId: String(seq), actor: 'test', reason: null });
      }
    },
    url: '',
  };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      if (node.down) return res.socket?.destroy();
      const { variables } = JSON.parse(body) as { variables: { after: string | null; first: number } };
      afters.push(variables.after);
      const send = (status: number, payload: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
      const [registry, seqText] = (variables.after ?? `${name}:0`).split(':');
      if (registry !== name) return send(400, { errors: [{ message: 'cursor from another registry', extensions: { code: 'RESYNC_REQUIRED' } }], data: null });
      const page = changes.slice(Number(seqText), Number(seqText) + variables.first);
      const hasNextPage = Number(seqText) + page.length < changes.length;
      send(200, { data: { changes: { nodes: page, pageInfo: { hasNextPage, endCursor: page.at(-1)?.cursor ?? variables.after } } } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  node.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  cleanups.push(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });
  return node;
}

/** Takes events until `done` says so; returns them all. */
async function takeUntil(follower: Follower, done: (events: FeedEvent[]) => boolean): Promise<FeedEvent[]> {
  const events: FeedEvent[] = [];
  while (!done(events)) {
    const next = await follower.next();
    if (next.done) throw new Error(`the follower ended after ${JSON.stringify(events)}`);
    events.push(next.value);
  }
  return events;
}

const changeIds = (events: FeedEvent[]) => events.flatMap((e) => (e.type === 'change' ? [e.change.cursor] : []));

describe('createFleetClient follow', () => {
  it('follows two nodes, resumes each from its cursor after a drop, and delivers every change once', async () => {
    const a = await fakeFeedNode('a');
    const b = await fakeFeedNode('b');
    a.add(3);
    b.add(2);
    const fleet = createFleetClient({ nodes: [{ name: 'a', url: a.url }, { name: 'b', url: b.url }], defaults: { retry: { retries: 0 } } });
    cleanups.push(() => fleet.close());
    const follower = fleet.follow({ intervalMs: 10, first: 2, reconnect: { baseDelayMs: 5, maxDelayMs: 20 } });
    cleanups.push(() => follower.stop());

    const first = await takeUntil(follower, (events) => changeIds(events).length === 5);

    a.down = true;
    a.add(2);
    b.add(1);
    const during = await takeUntil(follower, (events) => events.some((e) => e.type === 'disconnected' && e.node === 'a') && changeIds(events).includes('b:3'));
    expect(changeIds(during)).toEqual(['b:3']);

    a.down = false;
    const after = await takeUntil(follower, (events) => changeIds(events).length === 2);
    expect(after.find((e) => e.type === 'reconnected')).toEqual({ type: 'reconnected', node: 'a' });

    const all = changeIds([...first, ...during, ...after]);
    expect(all.filter((id) => id.startsWith('a:'))).toEqual(['a:1', 'a:2', 'a:3', 'a:4', 'a:5']);
    expect(all.filter((id) => id.startsWith('b:'))).toEqual(['b:1', 'b:2', 'b:3']);
    // Every request after the drop asked for what followed the last change handed over.
    expect(a.afters.slice(a.afters.indexOf('a:3'))).not.toContain(null);
    expect(follower.cursors()).toEqual({ a: 'a:5', b: 'b:3' });
  });

  it('starts from saved cursors, and reports a node that no longer knows its cursor', async () => {
    const a = await fakeFeedNode('a');
    const b = await fakeFeedNode('b');
    a.add(4);
    b.add(1);
    const fleet = createFleetClient({ nodes: [{ name: 'a', url: a.url }, { name: 'b', url: b.url }], defaults: { retry: { retries: 0 } } });
    cleanups.push(() => fleet.close());
    const follower = fleet.follow({ intervalMs: 10, from: { a: 'a:2', b: 'wiped:9' } });
    cleanups.push(() => follower.stop());

    const events = await takeUntil(follower, (seen) => changeIds(seen).length === 2 && seen.some((e) => e.type === 'resync-required'));
    expect(changeIds(events)).toEqual(['a:3', 'a:4']);
    expect(events.find((e) => e.type === 'resync-required')).toMatchObject({ node: 'b' });
    expect(follower.cursors()).toEqual({ a: 'a:4', b: 'wiped:9' });
  });
});

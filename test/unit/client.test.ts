// The typed client against the real agent on a port (fake runner): typed answers, and the node's
// domain errors as results rather than exceptions or retries.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeClient, type NodeClient } from '../../src/client/index.js';
import { ADMIN_TOKEN, createHarness, READ_TOKEN, type Harness } from '../support/harness.js';
import { testKey } from '../support/keys.js';

let h: Harness;
let url: string;
let client: NodeClient;

beforeAll(async () => {
  h = createHarness({ env: { WGNODE_HOST: '127.0.0.1', WGNODE_PORT: '0', WGNODE_SOCKET: 'off' } });
  const { port } = await h.agent.start({ reconcile: false });
  url = `http://127.0.0.1:${port}`;
  client = createNodeClient({ url, token: ADMIN_TOKEN, retry: { retries: 2, baseDelayMs: 10 } });
});

afterAll(async () => {
  client?.close();
  await h?.agent.stop();
});

describe('createNodeClient against a node', () => {
  it('activates, connects, lists and deactivates with typed answers', async () => {
    const activated = await client.activateDevice({ userId: 1, deviceId: 1 });
    expect(activated).toMatchObject({ ok: true, data: { userId: 1, deviceId: 1, status: 'ACTIVE' }, attempts: 1 });

    const connected = await client.connectDevice({ userId: 1, deviceId: 1, publicKey: testKey(1) });
    if (!connected.ok) throw new Error(`connect failed: ${connected.code}`);
    expect(connected.data).toMatchObject({ userId: 1, deviceId: 1, publicKey: testKey(1), status: 'ACTIVE' });

    const sessions = await client.sessions({ userId: 1, status: 'ACTIVE' });
    expect(sessions.ok && sessions.data.nodes.map((s) => s.id)).toEqual([connected.data.id]);

    expect(await client.deactivateDevice({ userId: 1, deviceId: 1, reason: 'client test' })).toMatchObject({ ok: true, data: true });
    expect(h.runner.peers.has(testKey(1))).toBe(false);
  });

  it('answers a domain error as a result, on the first attempt, with the contract message', async () => {
    const answer = await client.disconnectDevice({ userId: 404, deviceId: 1 });
    expect(answer).toMatchObject({ ok: false, kind: 'domain', status: 400, attempts: 1 });
    expect(answer.ok === false && answer.code).toMatch(/NOT_FOUND$/);

    const session = await client.disconnectSession({ sessionId: '999999' });
    expect(session).toMatchObject({ ok: false, kind: 'domain', code: 'SESSION_NOT_FOUND', message: 'No active session found with this ID', attempts: 1 });
  });

  it('answers per-item results for bulk calls', async () => {
    await client.activateDevice({ userId: 2, deviceId: 1 });
    const bulk = await client.deactivateDevices({ items: [{ userId: 2, deviceId: 1 }, { userId: 2, deviceId: 99 }] });
    if (!bulk.ok) throw new Error(`bulk failed: ${bulk.code}`);
    expect(bulk.data.map((r) => [r.deviceId, r.ok])).toEqual([
      [1, true],
      [99, false],
    ]);
  });

  it('reads the node and the reconcile report', async () => {
    const node = await client.node();
    expect(node).toMatchObject({ ok: true, data: { interface: h.config.interfaceName } });
    expect(await client.reconcileReport()).toMatchObject({ ok: true, data: null });
  });

  it('sends a fresh bearer from a token function, and answers a refusal as a domain error', async () => {
    const issued: string[] = [];
    const reader = createNodeClient({ url, token: () => (issued.push(READ_TOKEN), READ_TOKEN), retry: { retries: 2, baseDelayMs: 10 } });
    try {
      expect(await reader.node()).toMatchObject({ ok: true });
      expect(await reader.deactivateDevice({ userId: 1, deviceId: 1 })).toMatchObject({ ok: false, kind: 'domain', code: 'FORBIDDEN', attempts: 1 });
      expect(issued).toHaveLength(2);
    } finally {
      reader.close();
    }
    const anonymous = createNodeClient({ url, retry: { retries: 2, baseDelayMs: 10 } });
    try {
      expect(await anonymous.node()).toMatchObject({ ok: false, kind: 'domain', status: 401, attempts: 1 });
    } finally {
      anonymous.close();
    }
  });
});

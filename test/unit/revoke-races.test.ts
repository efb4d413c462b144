// Two mutations on one device at the same time: exactly one transition wins, the other gets the
// contract's answer for the state it finds, and every `true` means the peer is already gone.
// Random delays in the fake `wg` shuffle the interleavings; each case runs many times.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createHarness, DEACTIVATE, DISCONNECT, seedDevice, type Harness } from '../support/harness.js';
import { testKey } from '../support/keys.js';

const ROUNDS = 60;

function shuffledHarness(): Harness {
  const h = createHarness();
  h.runner.delay = () => new Promise((r) => setTimeout(r, Math.floor(Math.random() * 3)));
  return h;
}

/** Sends the mutation for user N's device 1; on `true`, records whether the peer was still on the interface then. */
async function send(h: Harness, query: string, userId: number, key: string) {
  const res = await h.gql(query, { userId, deviceId: 1 });
  const answer = res.body.data ? 'true' : (res.body.errors[0].extensions.code as string);
  return { answer, peerPresentAtTrue: answer === 'true' ? h.runner.peers.has(key) : false };
}

function expectConverged(h: Harness, userId: number, key: string) {
  const statuses = h.registry.sessions.list({ userId, deviceId: 1 }, 10, null).map((s) => s.status);
  expect(statuses).toEqual(['ENDED']);
  expect(h.runner.peers.has(key)).toBe(false);
}

describe('concurrent revocations of one device', () => {
  it('two deactivations: exactly one true, the other DEVICE_NOT_FOUND', async () => {
    const h = shuffledHarness();
    for (let d = 1; d <= ROUNDS; d++) {
      const key = testKey(d);
      await seedDevice(h, d, 1, [key]);
      const answers = await Promise.all([send(h, DEACTIVATE, d, key), send(h, DEACTIVATE, d, key)]);
      expect(answers.map((a) => a.answer).sort()).toEqual(['DEVICE_NOT_FOUND', 'true']);
      expect(answers.some((a) => a.peerPresentAtTrue)).toBe(false);
      expect(h.registry.devices.get(d, 1)?.status).toBe('DEACTIVATED');
      expectConverged(h, d, key);
    }
    const audit = h.registry.audit.list({ action: 'deactivate' }, 1000, null);
    expect(audit.filter((r) => r.outcome === 'ok')).toHaveLength(ROUNDS);
    expect(audit.filter((r) => r.outcome === 'refused:DEVICE_NOT_FOUND')).toHaveLength(ROUNDS);
  });

  it('two disconnects: exactly one true, the other SESSION_NOT_FOUND', async () => {
    const h = shuffledHarness();
    for (let d = 1; d <= ROUNDS; d++) {
      const key = testKey(d);
      await seedDevice(h, d, 1, [key]);
      const answers = await Promise.all([send(h, DISCONNECT, d, key), send(h, DISCONNECT, d, key)]);
      expect(answers.map((a) => a.answer).sort()).toEqual(['SESSION_NOT_FOUND', 'true']);
      expect(answers.some((a) => a.peerPresentAtTrue)).toBe(false);
      expect(h.registry.devices.get(d, 1)?.status).toBe('ACTIVE');
      expectConverged(h, d, key);
    }
  });

  it('a deactivation racing a disconnect: the deactivation wins its transition, and every true means the peer is gone', async () => {
    const h = shuffledHarness();
    const seen = new Set<string>();
    for (let d = 1; d <= ROUNDS; d++) {
      const key = testKey(d);
      await seedDevice(h, d, 1, [key]);
      const pair = d % 2 ? [send(h, DEACTIVATE, d, key), send(h, DISCONNECT, d, key)] : [send(h, DISCONNECT, d, key), send(h, DEACTIVATE, d, key)];
      const [first, second] = await Promise.all(pair);
      const [deactivate, disconnect] = d % 2 ? [first!, second!] : [second!, first!];
      expect(deactivate.answer).toBe('true');
      expect(['true', 'SESSION_NOT_FOUND']).toContain(disconnect.answer);
      seen.add(disconnect.answer);
      expect(deactivate.peerPresentAtTrue || disconnect.peerPresentAtTrue).toBe(false);
      expect(h.registry.devices.get(d, 1)?.status).toBe('DEACTIVATED');
      expectConverged(h, d, key);
    }
    // Both interleavings happened (otherwise the test proves less than it claims).
    expect([...seen].sort()).toEqual(['SESSION_NOT_FOUND', 'true']);
  });
});

describe('a locked registry', () => {
  it('answers REGISTRY_BUSY (503, retryable) instead of crashing, and a reconcile pass reports it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wgnode-busy-'));
    try {
      const h = createHarness({ env: { WGNODE_DB: join(dir, 'wgnode.db') } });
      await seedDevice(h, 1, 1, [testKey(1)]);
      h.registry.setBusyTimeout(20);
      const other = new Database(join(dir, 'wgnode.db'));
      other.exec('BEGIN IMMEDIATE');

      const res = await h.gql(DEACTIVATE, { userId: 1, deviceId: 1 });
      expect(res.status).toBe(503);
      expect(res.body.errors[0].extensions.code).toBe('REGISTRY_BUSY');
      const report = await h.agent.reconciler.runOnce();
      expect(report.ok).toBe(false);

      other.exec('ROLLBACK');
      other.close();
      expect((await h.gql(DEACTIVATE, { userId: 1, deviceId: 1 })).body).toEqual({ data: { deactivateDevice: true } });
      expect(h.runner.peers.size).toBe(0);
      await h.agent.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

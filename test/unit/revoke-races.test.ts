// Two mutations on one device at the same time: exactly one transition wins, the other finds the
// removal recorded but unconfirmed and joins it (a retry is always safe), and no answer, `true` or
// the contract's not-found, comes while the peer is still on the interface.
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

/** Sends the mutation for user N's device 1; records whether the peer was still on the interface when it answered. */
async function send(h: Harness, query: string, userId: number, key: string) {
  const res = await h.gql(query, { userId, deviceId: 1 });
  const answer = res.body.data ? 'true' : (res.body.errors[0].extensions.code as string);
  return { answer, peerPresentAtAnswer: h.runner.peers.has(key) };
}

/** Per device: was each audited revocation the transition or a retry of an unconfirmed removal? */
function auditKinds(h: Harness, action: string, userId: number): string[] {
  return h.registry.audit
    .list({ action, userId, deviceId: 1 }, 10, null)
    .map((r) => `${r.outcome}${r.detail?.includes('"retry":true') ? ' retry' : ''}`)
    .sort();
}

function expectConverged(h: Harness, userId: number, key: string) {
  const statuses = h.registry.sessions.list({ userId, deviceId: 1 }, 10, null).map((s) => s.status);
  expect(statuses).toEqual(['ENDED']);
  expect(h.runner.peers.has(key)).toBe(false);
}

describe('concurrent revocations of one device', () => {
  it('two deactivations: one transition, the other joins its removal; neither answers before the peer is gone', async () => {
    const h = shuffledHarness();
    for (let d = 1; d <= ROUNDS; d++) {
      const key = testKey(d);
      await seedDevice(h, d, 1, [key]);
      const answers = await Promise.all([send(h, DEACTIVATE, d, key), send(h, DEACTIVATE, d, key)]);
      // The second is DEVICE_NOT_FOUND only if it came after the removal was confirmed.
      expect([['true', 'true'], ['DEVICE_NOT_FOUND', 'true']]).toContainEqual(answers.map((a) => a.answer).sort());
      expect(answers.some((a) => a.peerPresentAtAnswer)).toBe(false);
      expect(h.registry.devices.get(d, 1)?.status).toBe('DEACTIVATED');
      expect([['ok', 'ok retry'], ['ok', 'refused:DEVICE_NOT_FOUND']]).toContainEqual(auditKinds(h, 'deactivate', d));
      expectConverged(h, d, key);
    }
  });

  it('two disconnects: one transition, the other joins its removal; neither answers before the peer is gone', async () => {
    const h = shuffledHarness();
    for (let d = 1; d <= ROUNDS; d++) {
      const key = testKey(d);
      await seedDevice(h, d, 1, [key]);
      const answers = await Promise.all([send(h, DISCONNECT, d, key), send(h, DISCONNECT, d, key)]);
      expect([['true', 'true'], ['SESSION_NOT_FOUND', 'true']]).toContainEqual(answers.map((a) => a.answer).sort());
      expect(answers.some((a) => a.peerPresentAtAnswer)).toBe(false);
      expect(h.registry.devices.get(d, 1)?.status).toBe('ACTIVE');
      expect([['ok', 'ok retry'], ['ok', 'refused:SESSION_NOT_FOUND']]).toContainEqual(auditKinds(h, 'disconnect', d));
      expectConverged(h, d, key);
    }
  });

  it('a deactivation racing a disconnect: the deactivation wins its transition, and no answer comes while the peer is there', async () => {
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
      expect(deactivate.peerPresentAtAnswer || disconnect.peerPresentAtAnswer).toBe(false);
      expect(h.registry.devices.get(d, 1)?.status).toBe('DEACTIVATED');
      // The disconnect either moved the session itself or found it ENDING and retried its removal.
      const [kind] = auditKinds(h, 'disconnect', d);
      seen.add(kind!.endsWith('retry') ? 'retry' : kind!.startsWith('refused') ? 'not found' : 'transition');
      expectConverged(h, d, key);
    }
    // Both interleavings happened (otherwise the test proves less than it claims).
    expect(seen).toContain('retry');
    expect(seen).toContain('transition');
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

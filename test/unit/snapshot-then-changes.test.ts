import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readChanges, readSnapshot } from '../../src/feed/feed.js';
import { formatIpv4 } from '../../src/net.js';
import { createHarness, type Harness } from '../support/harness.js';
import { testKey } from '../support/keys.js';

// A follower that starts from zero: reads the snapshot page by page while mutations run between
// (and during) the pages, then replays every change after the snapshot's cursor. Its state must
// be exactly the node's: nothing missed, nothing counted twice.

type Op =
  | { op: 'activate' | 'disconnect' | 'deactivate'; user: number; device: number }
  | { op: 'connect'; user: number; device: number; key: number }
  | { op: 'failRemovals'; on: boolean }
  | { op: 'reconcile' };

interface State {
  devices: Map<string, string>;
  sessions: Map<string, { userId: number; deviceId: number; status: string; publicKey: string; address: string }>;
}

const user = fc.integer({ min: 1, max: 6 });
const device = fc.integer({ min: 1, max: 3 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('activate' as const), user, device }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('connect' as const), user, device, key: fc.integer({ min: 1, max: 12 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('disconnect' as const), user, device }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('deactivate' as const), user, device }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('failRemovals' as const), on: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('reconcile' as const) }) },
);

function run(h: Harness, op: Op): Promise<unknown> {
  const actor = 'prop';
  switch (op.op) {
    case 'activate':
      return Promise.resolve().then(() => h.service.activateDevice({ actor, userId: op.user, deviceId: op.device }));
    case 'connect':
      return h.service.connectDevice({ actor, userId: op.user, deviceId: op.device, publicKey: testKey(op.key) });
    case 'disconnect':
      return h.service.disconnectDevice({ actor, userId: op.user, deviceId: op.device });
    case 'deactivate':
      return h.service.deactivateDevice({ actor, userId: op.user, deviceId: op.device });
    case 'failRemovals':
      h.runner.failWhen = op.on ? (argv) => argv.includes('set') && argv.includes('remove') : null;
      return Promise.resolve();
    case 'reconcile':
      return h.agent.reconciler.runOnce();
  }
}

function applyChange(state: State, change: ReturnType<typeof readChanges>['nodes'][number]): void {
  const deviceKey = `${change.userId}:${change.deviceId}`;
  switch (change.kind) {
    case 'DEVICE_ACTIVATED':
      state.devices.set(deviceKey, 'ACTIVE');
      break;
    case 'DEVICE_DEACTIVATED':
      state.devices.set(deviceKey, 'DEACTIVATED');
      break;
    case 'SESSION_STARTED':
      state.sessions.set(change.sessionId!, { userId: change.userId!, deviceId: change.deviceId!, status: 'ACTIVE', publicKey: change.publicKey!, address: change.address! });
      break;
    case 'SESSION_ENDING': {
      // The change sets the state it names (docs/api.md). A session no page showed ended while the
      // pages were read: this change cannot give its key or address, and its SESSION_ENDED follows.
      // Kept with placeholders meanwhile, so a session left that way fails the final comparison.
      const session = state.sessions.get(change.sessionId!) ?? { userId: change.userId!, deviceId: change.deviceId!, status: 'ENDING', publicKey: '?', address: '?' };
      session.status = 'ENDING';
      state.sessions.set(change.sessionId!, session);
      break;
    }
    case 'SESSION_ENDED':
      state.sessions.delete(change.sessionId!);
      break;
  }
}

function actualState(h: Harness): State {
  const state: State = { devices: new Map(), sessions: new Map() };
  for (let u = 1; u <= 6; u++) for (const d of h.registry.devices.listByUser(u)) state.devices.set(`${d.userId}:${d.deviceId}`, d.status);
  for (const s of h.registry.sessions.list({}, 100_000, null)) {
    if (s.status === 'ENDED') continue;
    state.sessions.set(String(s.id), { userId: s.userId, deviceId: s.deviceId, status: s.status, publicKey: s.publicKey, address: formatIpv4(s.address) });
  }
  return state;
}

describe('snapshot then changes', () => {
  it('reconstructs the node exactly under concurrent mutations between snapshot pages', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(opArb, { maxLength: 25 }),
        fc.array(fc.array(opArb, { maxLength: 6 }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 3 }),
        async (before, between, pageSize) => {
          const h = createHarness();
          try {
            for (const op of before) await run(h, op).catch(() => undefined);
            const follower: State = { devices: new Map(), sessions: new Map() };
            let after: string | null = null;
            let cursor: string | null = null;
            let more = true;
            // Each batch runs concurrently (group commit shares their commits) around a page read.
            for (const batch of between) {
              const mutations = Promise.allSettled(batch.map((op) => run(h, op)));
              if (more) {
                const page = readSnapshot(h.registry, after, pageSize);
                cursor ??= page.cursor;
                expect(page.cursor).toBe(cursor);
                for (const d of page.devices) follower.devices.set(`${d.userId}:${d.deviceId}`, d.status);
                for (const s of page.sessions) {
                  follower.sessions.set(String(s.id), { userId: s.userId, deviceId: s.deviceId, status: s.status, publicKey: s.publicKey, address: formatIpv4(s.address) });
                }
                after = page.pageInfo.endCursor;
                more = page.pageInfo.hasNextPage;
              }
              await mutations;
            }
            while (more) {
              const page = readSnapshot(h.registry, after, pageSize);
              for (const d of page.devices) follower.devices.set(`${d.userId}:${d.deviceId}`, d.status);
              for (const s of page.sessions) {
                follower.sessions.set(String(s.id), { userId: s.userId, deviceId: s.deviceId, status: s.status, publicKey: s.publicKey, address: formatIpv4(s.address) });
              }
              after = page.pageInfo.endCursor;
              more = page.pageInfo.hasNextPage;
            }
            h.runner.failWhen = null;
            await h.agent.peers.idle();
            for (let next: string | null = cursor; ; ) {
              const page = readChanges(h.registry, next, 7);
              for (const change of page.nodes) applyChange(follower, change);
              next = page.pageInfo.endCursor;
              if (!page.pageInfo.hasNextPage) break;
            }
            expect(follower).toEqual(actualState(h));
          } finally {
            await h.agent.stop();
          }
        },
      ),
      {
        numRuns: 60,
        // Found by CI: the session ends between the snapshot's first page and the page of its
        // device, so no page shows it and its SESSION_ENDING arrives for a session the follower lacks.
        examples: [
          [
            [
              { op: 'activate', user: 1, device: 1 },
              { op: 'activate', user: 6, device: 3 },
              { op: 'connect', user: 6, device: 3, key: 1 },
            ],
            [[{ op: 'deactivate', user: 6, device: 3 }], []],
            1,
          ],
        ],
      },
    );
  });
});

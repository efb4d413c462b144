import { describe, expect, it, vi } from 'vitest';
import { createHarness, seedDevice } from '../support/harness.js';
import { testKey } from '../support/keys.js';
import { auditRows, sessionRows } from '../support/registry-rows.js';

async function seeded(users: number) {
  const h = createHarness();
  for (let u = 1; u <= users; u++) await seedDevice(h, u, 1, [testKey(u)]);
  return h;
}

const statusOf = (h: ReturnType<typeof createHarness>, user: number) =>
  sessionRows(h.registry, { userId: user })[0]?.status;

describe('group commit of revocations', () => {
  it('concurrent revocations share transactions, and each answers for itself', async () => {
    const h = await seeded(10);
    const transaction = vi.spyOn(h.registry, 'transaction');
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => h.service.disconnectDevice({ actor: 't', userId: i + 1, deviceId: 1 })),
    );
    expect(answers).toEqual(Array(10).fill(true));
    // One transaction per request would be 20 (intent + settlement).
    expect(transaction.mock.calls.length).toBeLessThanOrEqual(4);
    for (let u = 1; u <= 10; u++) expect(statusOf(h, u)).toBe('ENDED');
  });

  it('runs each job once when none throws, and again in a savepoint of its own when one does', async () => {
    const h = createHarness();
    const runs = [0, 0, 0];
    const job = (k: number, fails = false) => () => {
      runs[k]!++;
      h.registry.state.putJson(`job.${k}`, k);
      if (fails) throw new Error('job failed');
      return k;
    };
    expect(await Promise.all([0, 1, 2].map((k) => h.registry.groupTransaction(job(k))))).toEqual([0, 1, 2]);
    expect(runs).toEqual([1, 1, 1]);

    runs.fill(0);
    const results = await Promise.allSettled([h.registry.groupTransaction(job(0)), h.registry.groupTransaction(job(1, true)), h.registry.groupTransaction(job(2))]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(runs).toEqual([2, 2, 1]); // the first attempt stopped at the job that threw
    expect([0, 1, 2].map((k) => h.registry.state.getJson(`job.${k}`))).toEqual([0, 1, 2]); // job 1's write is the first batch's
  });

  it('a request that throws inside the shared transaction is rolled back alone', async () => {
    const h = await seeded(3);
    const real = h.registry.devices.deactivate;
    vi.spyOn(h.registry.devices, 'deactivate').mockImplementation((row) => {
      if (row.userId === 2) {
        real(row); // the change is made, then the request fails: its savepoint must undo it
        throw new Error('disk on fire');
      }
      return real(row);
    });
    const results = await Promise.allSettled([1, 2, 3].map((userId) => h.service.deactivateDevice({ actor: 't', userId, deviceId: 1 })));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(h.registry.devices.get(1, 1)?.status).toBe('DEACTIVATED');
    expect(h.registry.devices.get(2, 1)?.status).toBe('ACTIVE');
    expect(h.registry.devices.get(3, 1)?.status).toBe('DEACTIVATED');
    expect(statusOf(h, 2)).toBe('ACTIVE');
    expect(h.runner.peers.has(testKey(2))).toBe(true);
    expect(h.runner.peers.has(testKey(1))).toBe(false);
  });

  it('a refusal in the shared transaction keeps its audit row and answers its own error', async () => {
    const h = await seeded(2);
    const results = await Promise.allSettled([
      h.service.disconnectDevice({ actor: 't', userId: 1, deviceId: 1 }),
      h.service.disconnectDevice({ actor: 't', userId: 9, deviceId: 1 }),
    ]);
    expect(results[0]).toEqual({ status: 'fulfilled', value: true });
    expect(results[1]).toMatchObject({ status: 'rejected', reason: { code: 'NOT_FOUND' } });
    const refused = auditRows(h.registry, { userId: 9 }).map((row) => row.outcome);
    expect(refused).toEqual(['refused:NOT_FOUND']);
  });
});

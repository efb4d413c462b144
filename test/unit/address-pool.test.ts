import { describe, expect, it, vi } from 'vitest';
import { CONNECT, createHarness, seedDevice } from '../support/harness.js';
import { testKey } from '../support/keys.js';
import { sessionRows } from '../support/registry-rows.js';

// A /29 holds 6 hosts; the interface takes the first: 5 addresses for sessions.
const SMALL_POOL = { WGNODE_ADDRESS_POOL: '10.99.0.0/29' };

describe('the address pool follows the transaction', () => {
  it('a long run of connects whose transaction fails never leaks an address (/29 pool)', async () => {
    const h = createHarness({ env: SMALL_POOL });
    for (let u = 1; u <= 6; u++) await seedDevice(h, u, 1, []);
    expect(h.registry.freeAddresses()).toBe(5);
    const record = h.registry.audit.record;
    // The session row is inserted (an address taken), then the transaction fails and rolls back.
    const failing = vi.spyOn(h.registry.audit, 'record').mockImplementation((entry) => {
      if (entry.action === 'connect' && entry.outcome === 'pending') throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
      return record(entry);
    });
    for (let i = 0; i < 100; i++) {
      const res = await h.gql(CONNECT, { userId: 1 + (i % 5), deviceId: 1, publicKey: testKey(1000 + i) });
      expect(res.status).toBe(503);
      expect(res.body.errors[0].extensions.code).toBe('REGISTRY_UNAVAILABLE');
    }
    expect(h.registry.freeAddresses()).toBe(5);
    failing.mockRestore();
    // All five addresses are still there to hand out.
    for (let u = 1; u <= 5; u++) {
      const res = await h.gql(CONNECT, { userId: u, deviceId: 1, publicKey: testKey(u) });
      expect(res.status).toBe(200);
    }
    expect(new Set(sessionRows(h.registry).map((s) => s.address)).size).toBe(5);
    const sixth = await h.gql(CONNECT, { userId: 6, deviceId: 1, publicKey: testKey(6) });
    expect(sixth.body.errors[0].extensions.code).toBe('ADDRESS_POOL_EXHAUSTED');
  });

  it('a rolled-back allocation is returned to the pool', () => {
    const h = createHarness({ env: SMALL_POOL });
    h.registry.transaction(() => {
      h.registry.devices.ensureUser(1, 0);
      h.registry.devices.insert({ userId: 1, deviceId: 1, now: 0, by: 't' });
    });
    expect(() =>
      h.registry.transaction(() => {
        expect(h.registry.sessions.start({ userId: 1, deviceId: 1, publicKey: testKey(1), now: 0 })).not.toBeNull();
        expect(h.registry.freeAddresses()).toBe(4);
        throw new Error('rolled back');
      }),
    ).toThrow('rolled back');
    expect(h.registry.freeAddresses()).toBe(5);
    expect(sessionRows(h.registry)).toEqual([]);
  });

  it('a rolled-back release keeps the address taken; one rolled back in its own savepoint too', async () => {
    const h = createHarness({ env: SMALL_POOL });
    await seedDevice(h, 1, 1, [testKey(1)]);
    const [session] = sessionRows(h.registry);
    h.registry.transaction(() => h.registry.sessions.markEnding([session!.id], { now: 1, reason: null, by: 't' }));
    expect(h.registry.freeAddresses()).toBe(4);
    expect(() =>
      h.registry.transaction(() => {
        expect(h.registry.sessions.markEnded([session!.id], 2)).toBe(1);
        throw new Error('rolled back');
      }),
    ).toThrow('rolled back');
    expect(h.registry.freeAddresses()).toBe(4);
    // In a group transaction: this job's savepoint is undone, its neighbour's allocation stands.
    const results = await Promise.allSettled([
      h.registry.groupTransaction(() => {
        h.registry.sessions.markEnded([session!.id], 2);
        throw new Error('this job fails');
      }),
      h.registry.groupTransaction(() => {
        h.registry.devices.ensureUser(2, 0);
        h.registry.devices.insert({ userId: 2, deviceId: 1, now: 0, by: 't' });
        return h.registry.sessions.start({ userId: 2, deviceId: 1, publicKey: testKey(2), now: 0 });
      }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled']);
    expect(h.registry.freeAddresses()).toBe(3);
    expect(h.registry.sessions.get(session!.id)?.status).toBe('ENDING');
  });
});

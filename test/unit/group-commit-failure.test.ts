import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../src/logger.js';
import { openRegistry } from '../../src/registry/index.js';
import { AddressPool } from '../../src/registry/address-pool.js';
import { openDatabase } from '../../src/registry/database.js';
import { RegistryUnavailableError } from '../../src/registry/errors.js';
import { createGroupCommit } from '../../src/registry/group-commit.js';
import { parseCidr } from '../../src/net.js';
import { CONNECT, DISCONNECT, createHarness, seedDevice } from '../support/harness.js';
import { testKey } from '../support/keys.js';
import { sessionRows } from '../support/registry-rows.js';

const diskFull = () => Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });

describe('group commit when the commit fails', () => {
  it('a failed COMMIT answers every caller of the batch a retryable 503, and nothing is saved', async () => {
    const h = createHarness();
    for (let u = 1; u <= 3; u++) await seedDevice(h, u, 1, [testKey(u)]);
    const real = h.registry.transaction.bind(h.registry);
    // The shared transaction runs every job, then its COMMIT fails (SQLite rolls it all back).
    vi.spyOn(h.registry, 'transaction').mockImplementationOnce((fn) =>
      real(() => {
        fn();
        throw diskFull();
      }),
    );
    const answers = await Promise.all([1, 2, 3].map((userId) => h.gql(DISCONNECT, { userId, deviceId: 1 })));
    for (const res of answers) {
      expect(res.status).toBe(503);
      expect(res.body.errors[0].extensions.code).toBe('REGISTRY_UNAVAILABLE');
      expect(res.text).not.toContain('savepoint');
    }
    // Nothing of the intents committed, and no peer was touched: the retry starts from scratch.
    expect(sessionRows(h.registry).map((s) => s.status)).toEqual(['ACTIVE', 'ACTIVE', 'ACTIVE']);
    expect(h.runner.peers.size).toBe(3);
    const retry = await h.gql(DISCONNECT, { userId: 1, deviceId: 1 });
    expect(retry.body.data.disconnectByUserIdAndDeviceId).toBe(true);
  });

  it('a job whose failure rolls back the whole transaction fails the batch clearly, never "no such savepoint"', async () => {
    const db = openDatabase(':memory:');
    db.exec('CREATE TABLE t (x INTEGER)');
    const pool = new AddressPool(parseCidr('10.0.0.0/29'), parseCidr('10.0.0.1/32').network, []);
    const group = createGroupCommit(db, (fn) => db.transaction(fn).immediate(), pool);
    const insert = db.prepare('INSERT INTO t (x) VALUES (?)');
    const rollbackAll = db.prepare('ROLLBACK');
    const results = await Promise.allSettled([
      group(() => insert.run(1)),
      group(() => {
        insert.run(2);
        // What SQLITE_FULL or an I/O error does mid-transaction: SQLite rolls back everything.
        rollbackAll.run();
        throw diskFull();
      }),
      group(() => insert.run(3)),
    ]);
    for (const result of results) {
      expect(result.status).toBe('rejected');
      const reason = (result as PromiseRejectedResult).reason as Error;
      expect(reason).toBeInstanceOf(RegistryUnavailableError);
      expect(reason.message).not.toContain('savepoint');
      expect(reason.message).toContain('SQLITE_FULL');
    }
    expect(db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(0);
    db.close();
  });

  it('a closed database rejects the queued work instead of crashing the process from the timer', async () => {
    const h = createHarness();
    await seedDevice(h, 1, 1, [testKey(1)]);
    const pending = h.service.disconnectDevice({ actor: 't', userId: 1, deviceId: 1 });
    h.registry.close(); // before the batch's setImmediate runs
    await expect(pending).rejects.toMatchObject({ code: 'REGISTRY_UNAVAILABLE', status: 503 });
  });

  it('a request on a closed database answers 503 REGISTRY_UNAVAILABLE, not a 500', async () => {
    const h = createHarness();
    await seedDevice(h, 1, 1, [testKey(1)]);
    h.registry.close();
    const res = await h.gql(CONNECT, { userId: 1, deviceId: 1, publicKey: testKey(2) });
    expect(res.status).toBe(503);
    expect(res.body.errors[0].extensions.code).toBe('REGISTRY_UNAVAILABLE');
  });

  it('the WAL checkpointer keeps running harmlessly when the registry closes under it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wgnode-closed-'));
    try {
      const pool = parseCidr('10.64.0.0/24');
      const registry = openRegistry({ path: join(dir, 'r.db'), pool, interfaceAddress: pool.first });
      const checkpointer = registry.startWalCheckpointer({ log: silentLogger, intervalMs: 5 })!;
      registry.transaction(() => registry.devices.ensureUser(1, 0));
      registry.close();
      await new Promise((resolve) => setTimeout(resolve, 50)); // a few checkpoint ticks after the close
      expect(() => checkpointer.stop()).not.toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a reconcile pass on a closed database reports the failure and does not throw', async () => {
    const h = createHarness();
    await seedDevice(h, 1, 1, [testKey(1)]);
    h.registry.close();
    const report = await h.agent.reconciler.runOnce();
    expect(report.ok).toBe(false);
    expect(report.error).toMatch(/not open/);
  });
});

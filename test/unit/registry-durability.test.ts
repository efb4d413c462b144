import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseCidr } from '../../src/net.js';
import { openRegistry } from '../../src/registry/index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const pool = parseCidr('10.64.0.0/24');

describe('registry durability', () => {
  it('syncs the WAL on every commit (WAL + synchronous FULL): an answered change survives power loss', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wgnode-durable-'));
    dirs.push(dir);
    const registry = openRegistry({ path: join(dir, 'r.db'), pool, interfaceAddress: pool.first });
    expect(registry.durability()).toEqual({ journalMode: 'WAL', synchronous: 'FULL' });
    registry.close();
  });

  it('bookkeeping commits without waiting for the disk, then every commit waits again', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wgnode-durable-'));
    dirs.push(dir);
    const registry = openRegistry({ path: join(dir, 'r.db'), pool, interfaceAddress: pool.first });
    const seen = registry.bookkeeping(() => {
      registry.state.putJson('test.key', 'kept');
      return registry.durability().synchronous;
    });
    expect(seen).toBe('NORMAL');
    expect(registry.durability().synchronous).toBe('FULL');
    expect(registry.state.getJson('test.key')).toBe('kept');
    expect(() => registry.bookkeeping(() => { throw new Error('rolled back'); })).toThrow('rolled back');
    expect(registry.durability().synchronous).toBe('FULL');
    registry.close();
  });

  it('NORMAL only when asked for explicitly (the durability benchmark compares the two)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wgnode-durable-'));
    dirs.push(dir);
    const registry = openRegistry({ path: join(dir, 'r.db'), pool, interfaceAddress: pool.first, synchronous: 'NORMAL' });
    expect(registry.durability().synchronous).toBe('NORMAL');
    registry.close();
  });
});

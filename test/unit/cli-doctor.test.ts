// `wgnode doctor`: local checks, each ✓ or ✗ with a fix, exit 1 when any fails.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/errors.js';
import { createCliHarness, type CliHarness } from '../support/cli-harness.js';
import { seedDevice } from '../support/harness.js';
import { testKey } from '../support/keys.js';

let dir: string;
let db: string;
let h: CliHarness;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wgnode-doctor-'));
  db = join(dir, 'wgnode.db');
  h = await createCliHarness({ env: { WGNODE_DB: db } });
});
afterEach(async () => {
  await h.close();
  rmSync(dir, { recursive: true, force: true });
});

const doctor = (env: Record<string, string> = {}) => h.cli(['doctor', '--json'], { env: { WGNODE_DB: db, ...env } });
const byName = (checks: any[]) => Object.fromEntries(checks.map((c) => [c.name, c]));
// Whether this test process holds CAP_NET_ADMIN (root here; maybe not in CI): the one check that depends on the machine.
const hasNetAdmin = (BigInt(`0x${/^CapEff:\s*(\w+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]}`) >> 12n) & 1n;

describe('wgnode doctor', () => {
  it('passes every check on a healthy node', async () => {
    await seedDevice(h, 1, 1, [testKey(1)]);
    const run = await doctor();
    const checks = byName(run.json().checks);
    for (const name of ['configuration', 'wg', 'ip', 'interface', 'database', 'socket', 'server', 'clock']) {
      expect(checks[name], name).toMatchObject({ ok: true });
    }
    expect(checks.database.detail).toMatch(/integrity ok, schema v\d+, 1 live sessions/);
    expect(checks.interface.detail).toMatch(/^wg0: port 51820, 1 peers/);
    expect(run.code).toBe(hasNetAdmin ? EXIT.OK : EXIT.FAILED);
  });

  it('says what to fix when the interface is missing, and exits 1', async () => {
    h.runner.interfaceExists = false;
    const run = await h.cli(['doctor'], { env: { WGNODE_DB: db } });
    expect(run.code).toBe(EXIT.FAILED);
    expect(run.stdout).toMatch(/^✗ interface +wg0 does not exist\n +fix: bring it up/m);
    expect(run.stdout).toMatch(/^✓ database /m);
    expect(run.stdout).toMatch(/problems? found\n$/);
  });

  it('reports a server that is down and a database that is missing', async () => {
    const run = await doctor({ WGNODE_SOCKET: join(dir, 'none.sock'), WGNODE_DB: join(dir, 'missing.db') });
    expect(run.code).toBe(EXIT.FAILED);
    const checks = byName(run.json().checks);
    expect(checks.server).toMatchObject({ ok: false, fix: expect.stringContaining('wgnode serve') });
    expect(checks.database).toMatchObject({ ok: false, detail: expect.stringContaining('does not exist') });
  });

  it('reports a bad configuration by the variable it names', async () => {
    const run = await doctor({ WGNODE_ADDRESS_POOL: 'nonsense' });
    expect(run.code).toBe(EXIT.FAILED);
    expect(byName(run.json().checks).configuration).toMatchObject({ ok: false, detail: expect.stringContaining('WGNODE_ADDRESS_POOL') });
  });

  it('reports a clock that went back behind the registry', async () => {
    await seedDevice(h, 1, 1, []);
    const run = await h.cli(['doctor', '--json'], { env: { WGNODE_DB: db }, now: () => Date.now() - 3_600_000 });
    expect(byName(run.json().checks).clock).toMatchObject({ ok: false, detail: expect.stringContaining('the clock went back') });
  });
});

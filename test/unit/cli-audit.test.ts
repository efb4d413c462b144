// `wgnode audit` against a running server on a unix socket: newest first, filters, --since.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/errors.js';
import { createCliHarness, type CliHarness } from '../support/cli-harness.js';
import { seedDevice } from '../support/harness.js';
import { testKey } from '../support/keys.js';

let h: CliHarness;
beforeEach(async () => {
  h = await createCliHarness();
});
afterEach(async () => {
  await h.close();
});

describe('wgnode audit', () => {
  it('shows the audit log newest first, filtered by user, with the actor and reason', async () => {
    await seedDevice(h, 1, 1, [testKey(1)]);
    await seedDevice(h, 2, 1, [testKey(2)]);
    await h.cli(['disconnect', '--user', '1', '--device', '1', '--reason', 'incident 7']);
    const run = await h.cli(['audit', '--user', '1']);
    expect(run.code).toBe(EXIT.OK);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^WHEN\s+ACTOR\s+ACTION\s+TARGET\s+OUTCOME\s+REASON\s+DETAIL$/);
    expect(lines[1]).toMatch(/^just now\s+local\s+disconnect\s+user 1 device 1\s+ok\s+incident 7/);
    expect(lines.slice(1).every((line) => line.includes('user 1 '))).toBe(true);
    expect(lines.some((line) => line.includes('user 2'))).toBe(false);
  });

  it('honours --since (a duration or an ISO time), --action and --limit; --json gives the entries', async () => {
    await seedDevice(h, 1, 1, [testKey(1)]);
    await h.cli(['deactivate', '--user', '1', '--device', '1']);
    const deactivations = await h.cli(['audit', '--action', 'deactivate', '--since', '5m', '--json']);
    expect(deactivations.json()).toMatchObject({ totalCount: 1, nodes: [{ actor: 'local', action: 'deactivate', userId: 1 }] });
    const future = await h.cli(['audit', '--since', new Date(Date.now() + 3_600_000).toISOString(), '--json']);
    expect(future.json().totalCount).toBe(0);
    const limited = await h.cli(['audit', '--limit', '1', '--json']);
    expect(limited.json().nodes).toHaveLength(1);
    expect(limited.json().totalCount).toBeGreaterThan(1);
  });

  it('rejects a malformed --since as a usage error', async () => {
    const run = await h.cli(['audit', '--since', 'yesterday']);
    expect(run.code).toBe(EXIT.USAGE);
    expect(run.stderr).toMatch(/^wgnode: USAGE: option '--since <T>' argument 'yesterday' is invalid/);
  });
});

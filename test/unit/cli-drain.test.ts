// `wgnode drain | undrain` over the operator socket.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/errors.js';
import { readDrainState } from '../../src/sessions/index.js';
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

describe('wgnode drain / undrain', () => {
  it('drains with a reason and a deadline, refuses connects, and undrains', async () => {
    const run = await h.cli(['drain', '--reason', 'kernel upgrade', '--deadline', '10m']);
    expect(run.code).toBe(EXIT.OK);
    expect(run.stdout).toBe('draining: new connects are refused; remaining sessions end within 600 s\n');
    const state = readDrainState(h.registry)!;
    expect(state.reason).toBe('kernel upgrade');
    expect(state.deadline! - state.since).toBe(600_000);
    await expect(seedDevice(h, 1, 1, [testKey(1)])).rejects.toThrow(/NODE_DRAINING/);
    expect((await h.cli(['status'])).stdout).toMatch(/^draining\s+since \S+ \(kernel upgrade\): new connects refused; sessions end by \S+$/m);

    const undrain = await h.cli(['undrain', '--json']);
    expect(undrain.code).toBe(EXIT.OK);
    expect(undrain.json()).toEqual({ ok: true, draining: false });
    expect(readDrainState(h.registry)).toBeNull();
    expect((await h.cli(['status'])).stdout).not.toMatch(/^draining/m);
    await seedDevice(h, 1, 1, [testKey(1)]);
  });

  it('rejects a deadline that is not a duration (usage, exit 2)', async () => {
    const run = await h.cli(['drain', '--deadline', 'soon']);
    expect(run.code).toBe(EXIT.USAGE);
    expect(readDrainState(h.registry)).toBeNull();
  });
});

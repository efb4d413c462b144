// `wgnode peers` and the status lines for held unknown peers, over the operator's socket.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/errors.js';
import { createCliHarness, type CliHarness } from '../support/cli-harness.js';
import { testKey } from '../support/keys.js';

let h: CliHarness;
beforeEach(async () => {
  h = await createCliHarness({ firstStart: true });
  for (const i of [100, 101]) h.runner.peers.set(testKey(i), { allowedIps: `10.99.0.${i - 99}/32`, latestHandshake: 0, rxBytes: 0, txBytes: 0 });
  await h.agent.reconciler.runOnce();
});
afterEach(async () => {
  await h.close();
});

const actors = (action: string) => h.registry.audit.list({ action }, 100, null).map((r) => r.actor);

describe('wgnode status', () => {
  it('says how many peers the registry does not know and how to settle them', async () => {
    const run = await h.cli(['status']);
    expect(run.code).toBe(EXIT.OK);
    expect(run.stdout).toMatch(/^unmanaged\s+2 peers this registry does not know; nothing removed: wgnode peers adopt \| wgnode peers purge --yes$/m);
    expect((await h.cli(['--json', 'status'])).json().reconcile).toMatchObject({ unmanagedPeers: 2, interfaceOwned: false });
  });
});

describe('wgnode peers', () => {
  it('purge refuses without --yes (exit 2) and removes nothing', async () => {
    const run = await h.cli(['peers', 'purge']);
    expect(run.code).toBe(EXIT.USAGE);
    expect(run.stderr).toMatch(/pass --yes to confirm/);
    expect(h.runner.peers.size).toBe(2);
  });

  it('purge --yes removes them, audited as local', async () => {
    const run = await h.cli(['peers', 'purge', '--yes']);
    expect([run.code, run.stdout]).toEqual([EXIT.OK, 'removed 2 unknown peers; this registry now manages the interface\n']);
    expect(h.runner.peers.size).toBe(0);
    expect(actors('purge-unmanaged-peer')).toEqual(['local', 'local']);
    expect((await h.cli(['status'])).stdout).not.toMatch(/^unmanaged/m);
  });

  it('adopt keeps them, kept lists them, release lets the next pass remove one', async () => {
    const adopt = await h.cli(['peers', 'adopt']);
    expect([adopt.code, adopt.stdout]).toEqual([EXIT.OK, 'adopted 2 peers (kept on the interface); this registry now manages it\n']);
    expect(actors('adopt-peer')).toEqual(['local', 'local']);
    const kept = await h.cli(['--json', 'peers', 'kept']);
    expect(kept.json().map((p: { publicKey: string; adoptedBy: string }) => [p.publicKey, p.adoptedBy])).toEqual(
      [testKey(100), testKey(101)].sort().map((k) => [k, 'local']),
    );
    const release = await h.cli(['peers', 'release', testKey(100)]);
    expect([release.code, release.stdout]).toEqual([EXIT.OK, 'released 1 kept peers; the next reconcile pass removes them\n']);
    await h.agent.reconciler.runOnce();
    expect([...h.runner.peers.keys()]).toEqual([testKey(101)]);
  });

  it('release refuses a malformed key', async () => {
    const run = await h.cli(['peers', 'release', 'not-a-key']);
    expect(run.code).toBe(EXIT.FAILED);
    expect(run.stderr).toMatch(/INVALID_PUBLIC_KEY/);
  });
});

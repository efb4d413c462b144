// The wgnode CLI against a running server on a unix socket: every command, its output (human and
// --json) and its exit codes, with the composed agent around the fake runner.
import { statSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/errors.js';
import { inspectRegistryFile } from '../../src/registry/file-inspection.js';
import { createCliHarness, type CliHarness } from '../support/cli-harness.js';
import { seedDevice } from '../support/harness.js';
import { testKey } from '../support/keys.js';
import { auditRows as allAuditRows } from '../support/registry-rows.js';

let h: CliHarness;
beforeEach(async () => {
  h = await createCliHarness();
});
afterEach(async () => {
  await h.close();
});

const auditRows = () => allAuditRows(h.registry).map(({ actor, action, userId, reason, outcome }) => ({ actor, action, userId, reason, outcome })) as any[];

describe('the operator socket', () => {
  it('is created with mode 0600, and requests on it act as `local` without a token', async () => {
    expect(statSync(h.socketPath).mode & 0o777).toBe(0o600);
    const run = await h.cli(['activate', '--user', '7', '--device', '2']);
    expect(run.code).toBe(EXIT.OK);
    expect(auditRows()).toContainEqual(expect.objectContaining({ actor: 'local', action: 'activate', userId: 7 }));
  });

  it('does not make network requests local: the same app without a token answers 401', async () => {
    const res = await h.app.request('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ node { interface } }' }),
    });
    expect(res.status).toBe(401);
  });
});

describe('wgnode status', () => {
  it('shows the interface, session counts, the last reconcile and the version', async () => {
    await seedDevice(h, 1, 1, [testKey(1), testKey(2)]);
    await h.agent.reconciler.runOnce();
    const run = await h.cli(['status']);
    expect(run.code).toBe(EXIT.OK);
    expect(run.stdout).toMatch(/^interface\s+wg0 {2}up {2}port 51820$/m);
    expect(run.stdout).toMatch(/^sessions\s+2 active, 0 online, 0 pending removal$/m);
    expect(run.stdout).toMatch(/^peers\s+2 on the interface/m);
    expect(run.stdout).toMatch(/^reconcile\s+just now, ok .*no drift$/m);
    expect(run.stdout).toMatch(/^version\s+wgnode \d+\.\d+\.\d+/m);
  });

  it('prints the same facts as JSON with --json', async () => {
    await seedDevice(h, 1, 1, [testKey(1)]);
    const run = await h.cli(['status', '--json']);
    expect(run.code).toBe(EXIT.OK);
    const status = run.json();
    expect(status.sessions).toEqual({ active: 1, online: 0, ending: 0 });
    expect(status.node).toMatchObject({ interface: 'wg0', address: '10.64.0.1', addressPool: '10.64.0.0/16' });
    expect(status.node.version).toBe(status.cli.version);
  });
});

describe('wgnode sessions', () => {
  it('lists active sessions as an aligned table, filtered by user', async () => {
    await seedDevice(h, 1, 1, [testKey(1)]);
    await seedDevice(h, 2, 1, [testKey(2)]);
    const run = await h.cli(['sessions', '--user', '2']);
    expect(run.code).toBe(EXIT.OK);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^ID\s+USER\s+DEVICE\s+ADDRESS\s+STATUS\s+ONLINE\s+HANDSHAKE\s+STARTED\s+RX \/ TX\s+KEY$/);
    expect(lines[1]).toMatch(/^2\s+2\s+1\s+10\.64\.0\.3\s+ACTIVE\s+no\s+-\s+just now\s+0 B \/ 0 B\s+/);
    // Aligned: every column starts where its header starts.
    expect(lines[1]!.indexOf('10.64.0.3')).toBe(lines[0]!.indexOf('ADDRESS'));
  });

  it('filters by --online and --status, and --json gives the API objects', async () => {
    const [first, second] = await seedDevice(h, 1, 1, [testKey(1), testKey(2)]);
    h.registry.sessions.recordHandshakes([{ id: Number(first), lastHandshakeAt: Date.now(), rxBytes: 2048, txBytes: 10 }]);
    await h.gql(`mutation { disconnectBySessionId(sessionId: "${second}") }`);

    const online = await h.cli(['sessions', '--online', '--json']);
    expect(online.json().nodes.map((s: any) => s.id)).toEqual([first]);
    const ended = await h.cli(['sessions', '--status', 'ended', '--json']);
    expect(ended.json()).toMatchObject({ totalCount: 1, nodes: [{ id: second, status: 'ENDED' }] });
    const all = await h.cli(['sessions', '--status', 'all', '--json']);
    expect(all.json().totalCount).toBe(2);
  });

  it('pages through the API up to --limit and says how many are left', async () => {
    await seedDevice(h, 1, 1, [testKey(1), testKey(2), testKey(3)]);
    const run = await h.cli(['sessions', '--limit', '2']);
    expect(run.stdout.trimEnd().split('\n')).toHaveLength(4);
    expect(run.stdout).toContain('showing 2 of 3');
  });

  it('rejects a bad --status as a usage error (exit 2)', async () => {
    const run = await h.cli(['sessions', '--status', 'gone']);
    expect(run.code).toBe(EXIT.USAGE);
    expect(run.stderr).toMatch(/^wgnode: USAGE: option '--status <S>' argument 'gone' is invalid/);
  });
});

describe('wgnode devices', () => {
  it("lists a user's devices with their state and active sessions", async () => {
    await seedDevice(h, 5, 1, [testKey(1), testKey(2)]);
    await seedDevice(h, 5, 2, []);
    await h.cli(['deactivate', '--user', '5', '--device', '2', '--reason', 'lost phone']);
    const run = await h.cli(['devices', '--user', '5']);
    expect(run.code).toBe(EXIT.OK);
    expect(run.stdout).toMatch(/^1\s+ACTIVE\s+just now\s+2\s+0\s+-$/m);
    expect(run.stdout).toMatch(/^2\s+DEACTIVATED\s+just now\s+0\s+0\s+just now by local: lost phone$/m);
  });

  it('needs --user (exit 2)', async () => {
    const run = await h.cli(['devices']);
    expect(run.code).toBe(EXIT.USAGE);
    expect(run.stderr).toContain("required option '--user <N>' not specified");
  });
});

describe('wgnode disconnect', () => {
  it('by user and device: removes the peers, ends the sessions, audits as local with the reason', async () => {
    const [id] = await seedDevice(h, 3, 4, [testKey(1)]);
    expect(h.runner.peers.has(testKey(1))).toBe(true);
    const run = await h.cli(['disconnect', '--user', '3', '--device', '4', '--reason', 'incident 42']);
    expect(run.code).toBe(EXIT.OK);
    expect(run.stdout).toBe('disconnected user 3 device 4: its peers are off the interface\n');
    expect(h.runner.peers.has(testKey(1))).toBe(false);
    expect(h.registry.sessions.get(Number(id))?.status).toBe('ENDED');
    expect(auditRows()).toContainEqual(expect.objectContaining({ actor: 'local', action: 'disconnect', reason: 'incident 42', outcome: 'ok' }));
  });

  it('by session: removes only that peer', async () => {
    const [one] = await seedDevice(h, 3, 4, [testKey(1), testKey(2)]);
    const run = await h.cli(['disconnect', '--session', one!, '--json']);
    expect(run.code).toBe(EXIT.OK);
    expect(run.json()).toEqual({ ok: true, sessionId: one });
    expect([...h.runner.peers.keys()]).toEqual([testKey(2)]);
  });

  it('reports a domain error in one line with its code and exits 1', async () => {
    await seedDevice(h, 3, 4, []);
    const run = await h.cli(['disconnect', '--user', '3', '--device', '4']);
    expect(run.code).toBe(EXIT.FAILED);
    expect(run.stderr).toBe('wgnode: SESSION_NOT_FOUND: No active session found for this user and device combination\n');
    const json = await h.cli(['disconnect', '--session', '99', '--json']);
    expect(JSON.parse(json.stderr)).toEqual({ error: { code: 'SESSION_NOT_FOUND', message: 'No active session found with this ID', exitCode: 1 } });
  });

  it('exits 5 when the change is recorded but WireGuard did not confirm it', async () => {
    const [id] = await seedDevice(h, 3, 4, [testKey(1)]);
    h.runner.failWhen = (argv) => argv.includes('remove');
    const run = await h.cli(['disconnect', '--session', id!]);
    expect(run.code).toBe(EXIT.PENDING);
    expect(run.stderr).toMatch(/^wgnode: REMOVAL_PENDING: /);
    expect(h.registry.sessions.get(Number(id))?.status).toBe('ENDING');
  });

  it('wants --session or --user with --device, not both (exit 2)', async () => {
    expect((await h.cli(['disconnect', '--user', '1'])).code).toBe(EXIT.USAGE);
    expect((await h.cli(['disconnect', '--session', '1', '--user', '1', '--device', '1'])).code).toBe(EXIT.USAGE);
    expect((await h.cli(['disconnect', '--session', 'abc'])).code).toBe(EXIT.USAGE);
  });
});

describe('wgnode deactivate / activate', () => {
  it('deactivates (peers removed, new connects refused) and activates again', async () => {
    await seedDevice(h, 8, 1, [testKey(1)]);
    expect((await h.cli(['deactivate', '--user', '8', '--device', '1', '--reason', 'abuse'])).code).toBe(EXIT.OK);
    expect(h.runner.peers.size).toBe(0);
    expect(h.registry.devices.get(8, 1)?.status).toBe('DEACTIVATED');

    const activated = await h.cli(['activate', '--user', '8', '--device', '1', '--json']);
    expect(activated.code).toBe(EXIT.OK);
    expect(activated.json()).toMatchObject({ userId: 8, deviceId: 1, status: 'ACTIVE' });
    expect(auditRows().map((r) => `${r.actor} ${r.action}`)).toEqual(expect.arrayContaining(['local deactivate', 'local activate']));
  });
});

describe('wgnode backup', () => {
  it('writes a consistent, verified copy of the registry (mode 0600) and audits it', async () => {
    await seedDevice(h, 1, 1, [testKey(1), testKey(2)]);
    const run = await h.cli(['backup', 'copy.db']);
    expect(run.code).toBe(EXIT.OK);
    expect(run.stdout).toMatch(/^backup written: .*copy\.db \(.*, schema v\d+, 2 sessions, \d+ audit entries, integrity ok\)$/m);
    const file = `${h.dir}/copy.db`;
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(inspectRegistryFile(file, (copy) => copy.counts().sessions)).toBe(2);
    expect(auditRows()).toContainEqual(expect.objectContaining({ actor: 'local', action: 'backup', outcome: 'ok' }));
  });

  it('refuses to overwrite without --force, and refuses a remote node', async () => {
    expect((await h.cli(['backup', 'copy.db'])).code).toBe(EXIT.OK);
    const again = await h.cli(['backup', 'copy.db']);
    expect(again.code).toBe(EXIT.USAGE);
    expect(again.stderr).toContain('exists; pass --force');
    expect((await h.cli(['backup', 'copy.db', '--force'])).code).toBe(EXIT.OK);
    const remote = await h.cli(['backup', 'x.db', '--url', 'http://127.0.0.1:9']);
    expect(remote.code).toBe(EXIT.USAGE);
  });
});

describe('exit codes and help', () => {
  it('exits 3 with a hint when no server listens on the socket', async () => {
    const run = await h.cli(['status'], { env: { WGNODE_SOCKET: `${h.dir}/nothing.sock` } });
    expect(run.code).toBe(EXIT.UNREACHABLE);
    expect(run.stderr).toMatch(/^wgnode: ENOENT: cannot reach wgnode at socket .*nothing\.sock .*wgnode serve/);
  });

  it('exits 2 for an unknown command or option', async () => {
    expect((await h.cli(['frobnicate'])).code).toBe(EXIT.USAGE);
    const run = await h.cli(['status', '--bogus']);
    expect(run.code).toBe(EXIT.USAGE);
    expect(run.stderr).toBe("wgnode: USAGE: unknown option '--bogus' (see --help)\n");
  });

  it.each(['status', 'sessions', 'devices', 'disconnect', 'deactivate', 'activate', 'audit', 'doctor', 'backup', 'serve'])(
    'has --help for %s (exit 0)',
    async (command) => {
      const run = await h.cli([command, '--help']);
      expect(run.code).toBe(EXIT.OK);
      expect(run.stdout).toMatch(new RegExp(`^Usage: wgnode ${command} `));
      expect(run.stdout).toContain('--json');
    },
  );

  it('documents the exit codes in the top-level help', async () => {
    const run = await h.cli(['--help']);
    expect(run.code).toBe(EXIT.OK);
    expect(run.stdout).toMatch(/Exit codes:\n {2}0 {2}ok\n {2}1 /);
  });

  it('colours only a terminal, and never with NO_COLOR', async () => {
    await seedDevice(h, 1, 1, [testKey(1)]);
    expect((await h.cli(['sessions'])).stdout).not.toContain('\x1b[');
    expect((await h.cli(['sessions'], { isTTY: true })).stdout).toContain('\x1b[32mACTIVE\x1b[39m');
    expect((await h.cli(['sessions'], { isTTY: true, env: { NO_COLOR: '1' } })).stdout).not.toContain('\x1b[');
  });
});

describe('--json errors', () => {
  it('reports a usage error as one JSON line on stderr', async () => {
    const run = await h.cli(['sessions', '--user', 'x', '--json']);
    expect(run.code).toBe(EXIT.USAGE);
    expect(JSON.parse(run.stderr)).toMatchObject({ error: { code: 'USAGE', exitCode: 2 } });
  });
});

describe('wgnode status when the interface is gone', () => {
  it('says the interface is not answering and shows the reconcile error', async () => {
    await h.agent.reconciler.runOnce();
    h.runner.interfaceExists = false;
    await h.agent.reconciler.runOnce();
    const run = await h.cli(['status']);
    expect(run.code).toBe(EXIT.OK);
    expect(run.stdout).toMatch(/^interface\s+wg0 {2}not answering$/m);
    expect(run.stdout).toMatch(/^reconcile\s+just now, failed: wg exited with 1/m);
    expect(run.stdout).toMatch(/^peers\s+-$/m);
  });
});

// Runs the wgnode CLI in-process against the composed agent (fake runner, in-memory registry)
// started on a temporary unix socket, exactly as `wgnode serve` starts it (reconcile passes
// run only when a test asks for one).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/program.js';
import type { CliIo } from '../../src/cli/context.js';
import type { CommandRunner } from '../../src/wireguard/runner.js';
import { createHarness, type HarnessOptions } from './harness.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  json(): any;
}

export async function createCliHarness(options: HarnessOptions = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'wgnode-cli-'));
  const socketPath = join(dir, 'wgnode.sock');
  const h = createHarness({ ...options, env: { WGNODE_HOST: '127.0.0.1', WGNODE_PORT: '0', WGNODE_SOCKET: socketPath, ...options.env } });
  const { socket } = await h.agent.start({ reconcile: false });

  /** Runs `wgnode ...args` with WGNODE_SOCKET pointing at the test server (plus `env`). */
  async function cli(args: string[], extra: Partial<CliIo> & { env?: Record<string, string> } = {}): Promise<CliRun> {
    let stdout = '';
    let stderr = '';
    const code = await runCli(args, {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      isTTY: false,
      cwd: dir,
      now: options.now ?? Date.now,
      runner: versionAnswering(h.runner),
      ...extra,
      env: { WGNODE_SOCKET: socketPath, ...extra.env },
    });
    return { code, stdout, stderr, json: () => JSON.parse(stdout) };
  }

  return {
    ...h,
    dir,
    socketPath,
    socket,
    cli,
    async close() {
      await h.agent.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The fake runner, plus answers to the version probes `wgnode doctor` makes. */
function versionAnswering(runner: CommandRunner): CommandRunner {
  return {
    run: (file, args, options) => {
      if (file === 'wg' && args[0] === '--version') return Promise.resolve({ stdout: 'wireguard-tools v1.0.20210914 (fake)' });
      if (file === 'ip' && args[0] === '-V') return Promise.resolve({ stdout: 'ip utility, iproute2-6.1.0 (fake)' });
      return runner.run(file, args, options);
    },
  };
}

export type CliHarness = Awaited<ReturnType<typeof createCliHarness>>;

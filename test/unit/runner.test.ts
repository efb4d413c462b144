// The command runners against real programs: typed errors for each way a command can fail, the
// same from execa in this process as through the command helper (the agent's runner).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { createHelperRunner } from '../../src/wireguard/helper-runner.js';
import {
  CommandError,
  CommandFailedError,
  CommandNotFoundError,
  CommandTimeoutError,
  createExecaRunner,
  type CommandRunner,
} from '../../src/wireguard/runner.js';

const helperRunner = createHelperRunner({ timeoutMs: 300 });
afterAll(() => helperRunner.close());

describe.each([
  ['createExecaRunner', createExecaRunner({ timeoutMs: 300 })],
  ['createHelperRunner', helperRunner],
] as Array<[string, CommandRunner]>)('%s', (_, runner) => {
  it('returns stdout without the final newline and passes input on stdin', async () => {
    expect(await runner.run('cat', [], { input: 'secret on stdin\n' })).toEqual({ stdout: 'secret on stdin' });
  });

  it('passes arguments verbatim, never through a shell', async () => {
    const hostile = 'x; echo pwned $(id) `id` | cat > /tmp/nope';
    expect((await runner.run('printf', ['%s', hostile])).stdout).toBe(hostile);
  });

  it('reports a missing program as CommandNotFoundError', async () => {
    await expect(runner.run('/nonexistent/wg', ['show'])).rejects.toBeInstanceOf(CommandNotFoundError);
  });

  it('reports a non-zero exit with its code and stderr as CommandFailedError', async () => {
    const error = await runner.run('sh', ['-c', 'echo Unable to access interface >&2; exit 3']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommandFailedError);
    expect(error).toMatchObject({ exitCode: 3, stderr: 'Unable to access interface' });
  });

  it('kills a command that outlives the timeout and reports CommandTimeoutError', async () => {
    await expect(runner.run('sleep', ['5'])).rejects.toBeInstanceOf(CommandTimeoutError);
  });
});

describe('createHelperRunner', () => {
  it('starts the commands from the helper, not from this process', async () => {
    const parent = Number((await helperRunner.run('sh', ['-c', 'echo $PPID'])).stdout);
    expect(parent).not.toBe(process.pid);
    expect(parent).toBeGreaterThan(0);
  });

  it('fails the commands a dead helper held, and starts a new one for the next', async () => {
    const runner = createHelperRunner({ timeoutMs: 5_000 });
    try {
      const helperPid = Number((await runner.run('sh', ['-c', 'echo $PPID'])).stdout);
      const held = runner.run('sleep', ['3']);
      process.kill(helperPid, 'SIGKILL');
      const error = await held.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CommandError);
      expect(String(error)).toMatch(/command helper exited/);
      const next = Number((await runner.run('sh', ['-c', 'echo $PPID'])).stdout);
      expect(next).not.toBe(helperPid);
    } finally {
      runner.close();
    }
  });

  it('carries a large output whole (a full interface dump is ~8 MB)', async () => {
    const { stdout } = await helperRunner.run('head', ['-c', String(8 * 2 ** 20), '/dev/zero']);
    expect(stdout.length).toBe(8 * 2 ** 20);
  });

  it.each([
    ['once no command is in flight', `const { stdout } = await runner.run('echo', ['ran']); console.log(stdout);`],
    ['when it was only prepared', `runner.prepare(); console.log('ran');`],
  ])('lets its process exit %s', async (_, body) => {
    const script = `import { createHelperRunner } from ${JSON.stringify(new URL('../../src/wireguard/helper-runner.ts', import.meta.url).href)};
      const runner = createHelperRunner({ timeoutMs: 2000 }); ${body}`;
    const run = promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 15_000 });
    await expect(run).resolves.toMatchObject({ stdout: 'ran\n' });
  });

  it('starts the helper on prepare(), and the first command runs on it', async () => {
    // This process's children but `ps` itself (the vitest worker may have others: compare before and after).
    const children = async () => {
      const { stdout } = await promisify(execFile)('ps', ['-o', 'pid=,comm=', '--ppid', String(process.pid)]).catch(() => ({ stdout: '' }));
      return stdout.split('\n').map((line) => line.trim().split(/\s+/)).filter(([pid, comm]) => pid && comm !== 'ps').map(([pid]) => Number(pid));
    };
    const runner = createHelperRunner({ timeoutMs: 2_000 });
    try {
      const before = await children();
      runner.prepare();
      runner.prepare(); // a helper is running: nothing to do
      const started = (await children()).filter((pid) => !before.includes(pid));
      expect(started).toHaveLength(1);
      expect(Number((await runner.run('sh', ['-c', 'echo $PPID'])).stdout)).toBe(started[0]);
    } finally {
      runner.close();
    }
  });
});

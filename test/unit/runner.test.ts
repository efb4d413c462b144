// The execa runner against real programs: typed errors for each way a command can fail.
import { describe, expect, it } from 'vitest';
import {
  CommandFailedError,
  CommandNotFoundError,
  CommandTimeoutError,
  createExecaRunner,
} from '../../src/wireguard/runner.js';

const runner = createExecaRunner({ timeoutMs: 300 });

describe('createExecaRunner', () => {
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

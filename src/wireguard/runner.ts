// The only place that starts processes. Everything above depends on the CommandRunner
// interface, so tests inject a fake that records argv and fails on demand.
import { execa, ExecaError } from 'execa';

interface CommandResult {
  stdout: string;
}

export interface CommandRunner {
  /** Runs `file args...` (never through a shell). `input` goes to stdin: secrets travel there, not in argv. */
  run(file: string, args: readonly string[], options?: { input?: string }): Promise<CommandResult>;
}

/** Base of the typed command errors; `command` is for logs only, never for API callers. */
export class CommandError extends Error {
  override name = 'CommandError';
  constructor(
    message: string,
    readonly command: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class CommandNotFoundError extends CommandError {
  override name = 'CommandNotFoundError';
}

export class CommandFailedError extends CommandError {
  override name = 'CommandFailedError';
  constructor(
    message: string,
    command: string,
    readonly exitCode: number | undefined,
    readonly stderr: string,
    options?: { cause?: unknown },
  ) {
    super(message, command, options);
  }
}

export class CommandTimeoutError extends CommandError {
  override name = 'CommandTimeoutError';
}

export function createExecaRunner(options: { timeoutMs: number }): CommandRunner {
  return {
    async run(file, args, runOptions) {
      const command = [file, ...args].join(' ');
      let timedOut = false;
      let timer: NodeJS.Timeout | undefined;
      try {
        const subprocess = execa(file, args, {
          // Its own process group, so a timeout kills the whole group: a wrapper script's children
          // (or anything else holding its stdout open) would otherwise keep us waiting past the timeout.
          detached: true,
          input: runOptions?.input,
          stdin: runOptions?.input === undefined ? 'ignore' : 'pipe',
          stripFinalNewline: true,
          // A command's output must never reach our own stdout (a dump holds a private key).
          stdout: 'pipe',
          stderr: 'pipe',
          maxBuffer: 256 * 1024 * 1024,
        });
        timer = setTimeout(() => {
          timedOut = true;
          killGroup(subprocess.pid);
        }, options.timeoutMs);
        const result = await subprocess;
        return { stdout: result.stdout };
      } catch (error) {
        if (timedOut) throw new CommandTimeoutError(`${file} timed out after ${options.timeoutMs} ms`, command, { cause: error });
        throw toCommandError(error, file, command);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** SIGKILL to the process group the command leads (it is gone already when this throws ESRCH). */
function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Exited in the meantime: nothing to kill.
  }
}

function toCommandError(error: unknown, file: string, command: string): CommandError {
  if (!(error instanceof ExecaError)) return new CommandError(`${file} failed: ${String(error)}`, command, { cause: error });
  if (error.code === 'ENOENT') return new CommandNotFoundError(`${file} is not installed or not on PATH`, command, { cause: error });
  const stderr = String(error.stderr ?? '').trim();
  return new CommandFailedError(
    `${file} exited with ${error.exitCode ?? error.signal ?? 'an error'}${stderr ? `: ${stderr}` : ''}`,
    command,
    error.exitCode,
    stderr,
    { cause: error },
  );
}

// The messages between the agent and its command helper (IPC, structured clone), and the typed
// command errors in both directions: one place says how an error crosses and comes back.
import { CommandError, CommandFailedError, CommandNotFoundError, CommandTimeoutError } from './runner.js';

export interface HelperRequest {
  id: number;
  file: string;
  args: readonly string[];
  /** For stdin: secrets travel here, never in argv. */
  input?: string;
  timeoutMs: number;
}

/** A command error as it crosses the process boundary: the agent makes the same typed error of it. */
export interface WireError {
  kind: 'not-found' | 'failed' | 'timeout' | 'other';
  message: string;
  command: string;
  exitCode?: number | undefined;
  stderr?: string;
}

export type HelperReply = { id: number; stdout: string } | { id: number; error: WireError };

/** In the helper: the runner's error as it crosses. */
export function toWire(error: unknown): WireError {
  const { message, command } = error as { message?: string; command?: string };
  const base = { message: String(message ?? error), command: command ?? '' };
  if (error instanceof CommandNotFoundError) return { kind: 'not-found', ...base };
  if (error instanceof CommandTimeoutError) return { kind: 'timeout', ...base };
  if (error instanceof CommandFailedError) return { kind: 'failed', ...base, exitCode: error.exitCode, stderr: error.stderr };
  return { kind: 'other', ...base };
}

/** In the agent: the same typed error again. */
export function fromWire(error: WireError): CommandError {
  switch (error.kind) {
    case 'not-found':
      return new CommandNotFoundError(error.message, error.command);
    case 'timeout':
      return new CommandTimeoutError(error.message, error.command);
    case 'failed':
      return new CommandFailedError(error.message, error.command, error.exitCode, error.stderr ?? '');
    default:
      return new CommandError(error.message, error.command);
  }
}

// The messages between the agent and its command helper (IPC, structured clone).

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

// Which runner starts which of the agent's commands. Changes (`wg set`, conntrack) start in the
// command helper: spawning from the agent held its event loop 3-18 ms a call, hundreds of calls in
// a mass revocation. The interface's reads (the dump, once a pass) start in the agent: an ~8 MB
// dump reached it ~0.5 s later through the helper (docs/performance.md). A test's runner does both.
import { createHelperRunner, type HelperRunner } from './helper-runner.js';
import { createExecaRunner, type CommandRunner } from './runner.js';

export interface AgentRunners {
  changes: CommandRunner;
  reads: CommandRunner;
  /** The helper process to start with the agent and end with it; null when a runner was injected. */
  helper: HelperRunner | null;
}

export function createAgentRunners(options: { timeoutMs: number; injected?: CommandRunner }): AgentRunners {
  if (options.injected) return { changes: options.injected, reads: options.injected, helper: null };
  const helper = createHelperRunner({ timeoutMs: options.timeoutMs });
  return { changes: helper, reads: createExecaRunner({ timeoutMs: options.timeoutMs }), helper };
}

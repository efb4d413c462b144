// The runner of the agent's changes (`wg set`, conntrack): argv goes over IPC to the command helper
// (command-helper.ts), which starts the process, and stdout or a typed error comes back. Starting a
// process then costs the agent's event loop a message (~0.1 ms), not 3-18 ms. The helper is started
// by prepare() (the agent's start) or on first use, again after it died (the commands it held fail,
// as a failed command would), and lets the agent exit while no command is in flight.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { fromWire, type HelperReply, type HelperRequest } from './helper-protocol.js';
import { CommandError, CommandTimeoutError, type CommandRunner } from './runner.js';

// The helper enforces each command's timeout; this is for a helper that stopped answering at all.
const HELPER_GRACE_MS = 2_000;

interface Pending {
  helper: ChildProcess;
  resolve: (result: { stdout: string }) => void;
  reject: (error: unknown) => void;
  timer: NodeJS.Timeout;
}

export interface HelperRunner extends CommandRunner {
  /** Starts the helper ahead of the first command (a Node process takes ~175 ms to be ready here). */
  prepare(): void;
  /** Ends the helper; commands still in flight fail. A later run starts a new one. */
  close(): void;
}

export function createHelperRunner(options: { timeoutMs: number }): HelperRunner {
  let helper: ChildProcess | null = null;
  const pending = new Map<number, Pending>();
  let nextId = 1;

  function start(): ChildProcess {
    // From source (tsx) in development and tests, from dist/ when built.
    const fromSource = import.meta.url.endsWith('.ts');
    const child = fork(fileURLToPath(new URL(`./command-helper.${fromSource ? 'ts' : 'js'}`, import.meta.url)), [], {
      execArgv: fromSource ? ['--import', 'tsx'] : [],
      serialization: 'advanced',
      // Output comes back in messages (a dump holds the private key: never on a terminal).
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    child.on('message', (reply: HelperReply) => {
      if ('stdout' in reply) settle(reply.id, (p) => p.resolve({ stdout: reply.stdout }));
      else settle(reply.id, (p) => p.reject(fromWire(reply.error)));
    });
    const lost = (why: string) => {
      if (helper === child) helper = null;
      for (const [id, p] of pending) {
        if (p.helper === child) settle(id, (q) => q.reject(new CommandError(`the command helper ${why}`, 'command helper')));
      }
    };
    child.on('exit', (code, signal) => lost(`exited (${signal ?? code})`));
    child.on('error', (error) => lost(`failed: ${error.message}`));
    return child;
  }

  function settle(id: number, outcome: (p: Pending) => void): void {
    const p = pending.get(id);
    if (!p) return;
    pending.delete(id);
    clearTimeout(p.timer);
    outcome(p);
    if (![...pending.values()].some((q) => q.helper === p.helper)) hold(p.helper, false);
  }

  return {
    run(file, args, runOptions) {
      helper ??= start();
      const child = helper;
      const id = nextId++;
      const command = () => [file, ...args].join(' ');
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => settle(id, (p) => p.reject(new CommandTimeoutError(`${file}: the command helper did not answer within ${options.timeoutMs + HELPER_GRACE_MS} ms`, command()))),
          options.timeoutMs + HELPER_GRACE_MS,
        );
        pending.set(id, { helper: child, resolve, reject, timer });
        hold(child, true);
        const request: HelperRequest = { id, file, args, input: runOptions?.input, timeoutMs: options.timeoutMs };
        child.send(request, (error) => {
          if (error) settle(id, (p) => p.reject(new CommandError(`could not reach the command helper: ${error.message}`, command())));
        });
      });
    },
    prepare() {
      if (helper) return;
      helper = start();
      hold(helper, false);
    },
    close() {
      const child = helper;
      helper = null;
      child?.kill();
    },
  };
}

/** Keeps this process alive for the helper while a command is in flight, and only then. */
function hold(child: ChildProcess, held: boolean): void {
  if (held) {
    child.ref();
    child.channel?.ref();
  } else {
    child.unref();
    child.channel?.unref();
  }
}

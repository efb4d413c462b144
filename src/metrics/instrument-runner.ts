// A CommandRunner decorator that times every wg/ip call and counts failures, so the command layer
// stays free of metrics. Labels come from argv, bounded: the program's name and its subcommand.
import { basename } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CommandFailedError, CommandNotFoundError, CommandTimeoutError, type CommandRunner } from '../wireguard/runner.js';
import type { Metrics } from './metrics.js';

const SUBCOMMANDS = new Set(['set', 'show', 'showconf', 'syncconf', 'addconf', 'setconf', 'genkey', 'pubkey', 'link', 'addr', 'address', 'route', 'netns']);

type CommandMetrics = Pick<Metrics, 'observeCommand' | 'observePeersRemoved'>;

export function instrumentRunner(runner: CommandRunner, metrics: CommandMetrics): CommandRunner {
  return {
    async run(file, args, options) {
      const { program, rest } = describeCommand(file, args);
      const subcommand = rest[0] !== undefined && SUBCOMMANDS.has(rest[0]) ? rest[0] : 'other';
      const started = performance.now();
      try {
        const result = await runner.run(file, args, options);
        metrics.observeCommand(program, subcommand, (performance.now() - started) / 1000, null);
        if (program === 'wg' && subcommand === 'set') {
          const removed = countRemovals(rest);
          if (removed > 0) metrics.observePeersRemoved(removed);
        }
        return result;
      } catch (error) {
        metrics.observeCommand(program, subcommand, (performance.now() - started) / 1000, failureReason(error));
        throw error;
      }
    },
  };
}

/** `ip netns exec NS wg set …` is a wg call: label it by the program that does the work. */
function describeCommand(file: string, args: readonly string[]): { program: string; rest: readonly string[] } {
  if (args[0] === 'netns' && args[1] === 'exec' && args[3] !== undefined) {
    return { program: programName(args[3]), rest: args.slice(4) };
  }
  return { program: programName(file), rest: args };
}

function programName(file: string): string {
  const name = basename(file);
  return name === 'wg' || name === 'ip' ? name : 'other';
}

/** `set IFACE peer K remove peer K2 remove …` → 2. */
function countRemovals(args: readonly string[]): number {
  let removed = 0;
  for (let i = 0; i + 2 < args.length; i++) if (args[i] === 'peer' && args[i + 2] === 'remove') removed++;
  return removed;
}

function failureReason(error: unknown): string {
  if (error instanceof CommandTimeoutError) return 'timeout';
  if (error instanceof CommandNotFoundError) return 'not_found';
  if (error instanceof CommandFailedError) return 'exit';
  return 'error';
}

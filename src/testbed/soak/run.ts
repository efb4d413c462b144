// The chaos soak: fast-check's model-based runner against a real wgnode process and a real
// wireguard-go interface. One fast-check run per seed (seed, seed + 1, …) until the time is up,
// each on a fresh database; a failure is shrunk and printed with its seed and path for replay.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { createTestbed, type Testbed } from '../netns.js';
import { startWgnode, type WgnodeProcess } from '../wgnode-process.js';
import { observe } from './api.js';
import { commandArbitraries, converge, populate, type SoakReal, type SoakStats, USERS } from './commands.js';
import { emptyModel } from './model.js';
import { createWgFault } from './wg-fault.js';

const SOAK_INTERVAL_MS = 300;
const SOAK_COMMAND_TIMEOUT_MS = 500;

export interface SoakOptions {
  /** Keep starting runs until this much time has passed (a run in progress finishes). */
  durationMs: number;
  /** The first seed; runs use seed, seed + 1, … Default: random. */
  seed?: number;
  /** Replays one counterexample: fast-check's `path` for `seed` (one run, no shrinking beyond it). */
  path?: string;
  maxCommands?: number;
  /** Time allowed to shrink a failure, on top of the duration. */
  shrinkLimitMs?: number;
  log?: (line: string) => void;
}

export interface SoakReport {
  runs: number;
  seeds: { first: number; last: number } | null;
  stats: SoakStats;
  /** Failed runs (each one is an invariant violation): 0 when the node held. */
  violations: number;
  /** fast-check's report of the failure: the seed, the path and the shrunk sequence. */
  failure: string | null;
  elapsedMs: number;
}

export function formatReport(r: SoakReport): string {
  const total = (bag: Record<string, number>) => Object.values(bag).reduce((a, b) => a + b, 0);
  const list = (bag: Record<string, number>) => Object.entries(bag).sort().map(([k, v]) => `    ${k}: ${v}`).join('\n') || '    (none)';
  return [
    `soak: ${r.runs} run(s) in ${Math.round(r.elapsedMs / 1000)} s, seeds ${r.seeds ? `${r.seeds.first}..${r.seeds.last}` : '(none)'}`,
    `  steps run: ${total(r.stats.steps)}`,
    list(r.stats.steps),
    `  faults injected: ${total(r.stats.faults)}`,
    list(r.stats.faults),
    `  answers:`,
    list(r.stats.answers),
    `  convergence checks passed: ${r.stats.convergences}`,
    `  invariant violations: ${r.violations}`,
  ].join('\n');
}

export async function runSoak(opts: SoakOptions): Promise<SoakReport> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const started = Date.now();
  const firstSeed = opts.seed ?? Math.floor(Math.random() * 0x7fffffff);
  const stats: SoakStats = { steps: {}, faults: {}, answers: {}, convergences: 0 };
  const report: SoakReport = { runs: 0, seeds: null, stats, violations: 0, failure: null, elapsedMs: 0 };
  const dir = mkdtempSync(join(tmpdir(), 'wgnode-soak-'));
  const wg = createWgFault(dir);
  let tb: Testbed | undefined;
  let agent: WgnodeProcess | undefined;
  const commands = fc.commands(commandArbitraries(), { maxCommands: opts.maxCommands ?? 40, size: 'max' });

  try {
    // A /28: 6 soak keys can hold at most 6 live sessions, so ADDRESS_POOL_EXHAUSTED would be a leak.
    tb = await createTestbed({ prefix: 'soak', poolCidrAddress: '10.64.0.1/28' });
    const testbed = tb;
    let runIndex = 0;
    const property = fc.asyncProperty(commands, async (cmds) => {
      const runDir = mkdtempSync(join(dir, `run${runIndex++}-`));
      const env = {
        WGNODE_DB: join(runDir, 'wgnode.db'),
        WGNODE_INTERFACE: testbed.node.iface,
        WGNODE_NETNS: testbed.nodeNs,
        WGNODE_ADDRESS_POOL: '10.64.0.0/28',
        WGNODE_WG_BIN: wg.bin,
        WGNODE_RECONCILE_INTERVAL_MS: String(SOAK_INTERVAL_MS),
        WGNODE_COMMAND_TIMEOUT_MS: String(SOAK_COMMAND_TIMEOUT_MS),
        WGNODE_LOG_LEVEL: 'error',
        // The model lets a device hold several keys (no rotation): the node must too.
        WGNODE_SESSIONS_PER_DEVICE: '0',
      };
      wg.set('pass');
      await testbed.node.recreate(); // empty, and up
      agent = await startWgnode(env);
      const model = emptyModel();
      const real: SoakReal = {
        tb: testbed, dbPath: env.WGNODE_DB, env, agent, wg, stats,
        last: await observe(agent, USERS, testbed.nodeNs, testbed.node.iface),
      };
      try {
        await populate(model, real);
        await fc.asyncModelRun(() => ({ model, real }), cmds);
        await converge(model, real);
      } finally {
        agent = real.agent;
        await agent.stop();
        agent = undefined;
        rmSync(runDir, { recursive: true, force: true });
      }
    });

    for (let seed = firstSeed; ; seed++) {
      report.runs++;
      report.seeds = { first: firstSeed, last: seed };
      const details = await fc.check(property, {
        seed, numRuns: 1, verbose: fc.VerbosityLevel.Verbose,
        ...(opts.path !== undefined ? { path: opts.path } : {}),
        interruptAfterTimeLimit: opts.durationMs + (opts.shrinkLimitMs ?? 600_000), markInterruptAsFailure: false,
      });
      if (details.failed) {
        report.violations++;
        const error = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
        report.failure = `${fc.defaultReportMessage(details) ?? 'failed'}\n\nThe shrunk sequence failed with:\n${error}`;
        log(`soak: seed ${seed} FAILED; replay with --seed ${seed} --path "${details.counterexamplePath}"`);
        log(report.failure);
        break;
      }
      log(`soak: seed ${seed} ok (${Math.round((Date.now() - started) / 1000)} s)`);
      if (opts.path !== undefined || Date.now() - started >= opts.durationMs) break;
    }
  } finally {
    await agent?.stop();
    await tb?.teardown();
    rmSync(dir, { recursive: true, force: true });
    report.elapsedMs = Date.now() - started;
  }
  return report;
}

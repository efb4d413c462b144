// The doctor's checks in order; loaded only when `wgnode doctor` runs (they pull in execa and
// better-sqlite3, which the other commands do not need).
import { ConfigError, loadClientConfig, loadConfig, type Config } from '../../config.js';
import { createExecaRunner } from '../../wireguard/runner.js';
import type { CliIo } from '../context.js';
import { checkClock, checkDatabase, checkSocket } from './state-checks.js';
import { checkInterface, checkNetns, checkPrivileges, checkProgram, type CheckResult } from './system-checks.js';

export async function runChecks(io: CliIo): Promise<CheckResult[]> {
  let config: Config;
  try {
    config = loadConfig(io.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const socket = await checkSocket(safeSocketPath(io.env));
    return [{ name: 'configuration', ok: false, detail: error.message, fix: 'correct that variable (see README, Configuration)' }, ...socket];
  }
  const runner = io.runner ?? createExecaRunner({ timeoutMs: config.commandTimeoutMs });
  const results: CheckResult[] = [{ name: 'configuration', ok: true, detail: 'every WGNODE_* variable is valid' }];
  results.push(await checkPrivileges());
  results.push(await checkProgram(runner, 'wg', config.wgBin, ['--version'], 'apt-get install wireguard-tools'));
  results.push(await checkProgram(runner, 'ip', config.ipBin, ['-V'], 'apt-get install iproute2'));
  const netns = await checkNetns(config);
  if (netns) results.push(netns);
  results.push(await checkInterface(runner, config));
  const database = await checkDatabase(config.dbPath);
  results.push(database.result);
  results.push(...(await checkSocket(config.socketPath)));
  results.push(checkClock(io.now(), database.facts));
  return results;
}

function safeSocketPath(env: Record<string, string | undefined>): string | null {
  try {
    return loadClientConfig(env).socketPath;
  } catch {
    return null;
  }
}

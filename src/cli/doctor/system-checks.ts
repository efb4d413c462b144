// Doctor checks of the machine: privileges, the wg and ip programs, the namespace and the interface.
// Each returns what it found and, when something is wrong, what to do about it.
import { readFile } from 'node:fs/promises';
import type { Config } from '../../config.js';
import { createWireGuardInterface } from '../../wireguard/interface.js';
import { CommandNotFoundError, type CommandRunner } from '../../wireguard/runner.js';

export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
  /** What to do when !ok. */
  fix?: string;
}

const CAP_NET_ADMIN = 12;

export async function checkPrivileges(): Promise<CheckResult> {
  const name = 'privileges';
  const status = await readFile('/proc/self/status', 'utf8').catch(() => null);
  const capEff = status ? /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1] : undefined;
  if (capEff === undefined) return { name, ok: true, detail: 'cannot read capabilities here (not Linux?); skipped' };
  const hasNetAdmin = (BigInt(`0x${capEff}`) >> BigInt(CAP_NET_ADMIN)) & 1n;
  if (hasNetAdmin) return { name, ok: true, detail: `CAP_NET_ADMIN held (uid ${process.getuid?.() ?? '?'})` };
  return {
    name,
    ok: false,
    detail: `this shell lacks CAP_NET_ADMIN (uid ${process.getuid?.() ?? '?'}): wg cannot read or change the interface`,
    fix: 'run `sudo wgnode doctor`; the server itself needs root or CAP_NET_ADMIN (docker: --cap-add NET_ADMIN)',
  };
}

export async function checkProgram(runner: CommandRunner, label: string, bin: string, args: string[], install: string): Promise<CheckResult> {
  try {
    const { stdout } = await runner.run(bin, args);
    return { name: label, ok: true, detail: stdout.split('\n')[0]?.trim() || `${bin} answers` };
  } catch (error) {
    const missing = error instanceof CommandNotFoundError || /ENOENT|not found/i.test((error as Error).message);
    return {
      name: label,
      ok: false,
      detail: missing ? `${bin} not found` : `${bin} ${args.join(' ')} failed: ${(error as Error).message}`,
      fix: missing ? `install it: ${install} (or run scripts/install-system-deps.sh)` : `check that ${bin} runs for this user`,
    };
  }
}

export async function checkNetns(config: Config): Promise<CheckResult | null> {
  if (!config.netns) return null;
  const present = await readFile(`/run/netns/${config.netns}`).then(
    () => true,
    (error: NodeJS.ErrnoException) => error.code !== 'ENOENT',
  );
  return present
    ? { name: 'namespace', ok: true, detail: `network namespace ${config.netns} exists` }
    : { name: 'namespace', ok: false, detail: `network namespace ${config.netns} (WGNODE_NETNS) does not exist`, fix: `create it (ip netns add ${config.netns}) or unset WGNODE_NETNS` };
}

export async function checkInterface(runner: CommandRunner, config: Config): Promise<CheckResult> {
  const where = config.netns ? ` in namespace ${config.netns}` : '';
  const wireguard = createWireGuardInterface({ runner, name: config.interfaceName, wgBin: config.wgBin, ipBin: config.ipBin, netns: config.netns });
  const name = 'interface';
  if (!(await wireguard.exists())) {
    return {
      name,
      ok: false,
      detail: `${config.interfaceName} does not exist${where}`,
      fix: `bring it up (ip link add ${config.interfaceName} type wireguard, or wireguard-go ${config.interfaceName}), or set WGNODE_INTERFACE`,
    };
  }
  try {
    // The parser drops the dump's private key on the spot; only the public part is shown.
    const dump = await wireguard.dump();
    return { name, ok: true, detail: `${config.interfaceName}${where}: port ${dump.listenPort}, ${dump.peers.length} peers, key ${dump.publicKey.slice(0, 10)}…` };
  } catch (error) {
    return {
      name,
      ok: false,
      detail: `${config.interfaceName} exists but wg cannot read it: ${(error as Error).message.split('\n')[0]}`,
      fix: 'is it a WireGuard interface? run as root (or with CAP_NET_ADMIN)',
    };
  }
}

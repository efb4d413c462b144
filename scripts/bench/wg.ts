// Direct `wg` work on the benchmark's interface (not through the agent): bulk seeding with big
// `wg set` calls, counting peers, and the naive baseline of one process per removal.
import { availableParallelism } from 'node:os';
import { execa } from 'execa';
import { inNsArgv } from '../../src/testbed/index.js';

export interface Iface {
  /** null: the host's namespace, where `wg` runs directly (no `ip netns exec`). */
  ns: string | null;
  iface: string;
}

const CLAUSES_PER_CALL = 2000;

export function wg(target: Iface, args: string[]) {
  const [file, argv] = inNsArgv(target.ns, 'wg', args);
  return execa(file, argv, { stdin: 'ignore' });
}

/** The agent's settings for this interface (WGNODE_NETNS only when it is in a namespace). */
export function ifaceEnv(target: Iface): Record<string, string> {
  return { WGNODE_INTERFACE: target.iface, ...(target.ns === null ? {} : { WGNODE_NETNS: target.ns }) };
}

export async function addPeersBulk(target: Iface, peers: ReadonlyArray<{ key: string; allowedIps: string }>): Promise<void> {
  for (let i = 0; i < peers.length; i += CLAUSES_PER_CALL) {
    const chunk = peers.slice(i, i + CLAUSES_PER_CALL);
    await wg(target, ['set', target.iface, ...chunk.flatMap((p) => ['peer', p.key, 'allowed-ips', p.allowedIps])]);
  }
}

export async function countPeers(target: Iface): Promise<number> {
  const { stdout } = await wg(target, ['show', target.iface, 'peers']);
  return stdout === '' ? 0 : stdout.split('\n').length;
}

/** The naive way: one `wg set IFACE peer KEY remove` process per peer, one per core at a time. */
export async function removeOneByOne(target: Iface, keys: readonly string[]): Promise<number> {
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < keys.length) await wg(target, ['set', target.iface, 'peer', keys[next++]!, 'remove']);
  };
  await Promise.all(Array.from({ length: availableParallelism() }, worker));
  return (performance.now() - started) / 1000;
}

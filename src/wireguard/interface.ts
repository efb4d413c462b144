// The node's WireGuard interface, driven with `wg` and `ip`. Every argv is built here, from
// validated keys and addresses; nothing is ever passed through a shell.
import { assertPublicKey } from './keys.js';
import { parseDump, type InterfaceDump } from './dump.js';
import type { CommandRunner } from './runner.js';

export interface PeerSpec {
  publicKey: string;
  /** e.g. "10.64.0.2/32" */
  allowedIps: string;
}

export interface WireGuardInterface {
  readonly name: string;
  addPeers(peers: readonly PeerSpec[]): Promise<void>;
  /** Idempotent: removing a peer that is not there succeeds. */
  removePeers(publicKeys: readonly string[]): Promise<void>;
  dump(): Promise<InterfaceDump>;
  exists(): Promise<boolean>;
}

export interface InterfaceOptions {
  runner: CommandRunner;
  name: string;
  wgBin: string;
  ipBin: string;
  /** When set, commands run as `ip netns exec NETNS ...`. */
  netns: string;
}

// Far below ARG_MAX (2 MiB here): a remove clause is ~55 bytes, an add clause ~75.
export const PEERS_PER_COMMAND = 2000;

const ALLOWED_IPS = /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/;

export function createWireGuardInterface(options: InterfaceOptions): WireGuardInterface {
  const { runner, name } = options;
  const run = (bin: string, args: string[]) =>
    options.netns ? runner.run(options.ipBin, ['netns', 'exec', options.netns, bin, ...args]) : runner.run(bin, args);

  return {
    name,
    async addPeers(peers) {
      for (const peer of peers) {
        assertPublicKey(peer.publicKey);
        if (!ALLOWED_IPS.test(peer.allowedIps)) throw new Error(`invalid allowed-ips ${peer.allowedIps}`);
      }
      for (const chunk of chunks(peers, PEERS_PER_COMMAND)) {
        await run(options.wgBin, ['set', name, ...chunk.flatMap((p) => ['peer', p.publicKey, 'allowed-ips', p.allowedIps])]);
      }
    },
    async removePeers(publicKeys) {
      for (const key of publicKeys) assertPublicKey(key);
      for (const chunk of chunks(publicKeys, PEERS_PER_COMMAND)) {
        await run(options.wgBin, ['set', name, ...chunk.flatMap((key) => ['peer', key, 'remove'])]);
      }
    },
    async dump() {
      return parseDump((await run(options.wgBin, ['show', name, 'dump'])).stdout);
    },
    async exists() {
      try {
        await run(options.ipBin, ['link', 'show', 'dev', name]);
        return true;
      } catch {
        return false;
      }
    },
  };
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

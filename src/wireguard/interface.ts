// The node's WireGuard interface, driven with `wg` and `ip`. Every argv is built here, from
// validated keys and addresses; nothing is ever passed through a shell.
import { canonicalAllowedIp } from '../net.js';
import { assertPublicKey, isPublicKey } from './keys.js';
import { parseDumpYielding, type InterfaceDump } from './dump.js';
import { withPresharedKeyFiles } from './psk-files.js';
import type { CommandRunner } from './runner.js';

export interface PeerSpec {
  publicKey: string;
  /** e.g. "10.64.0.2/32", or "10.64.0.2/32,fd00:64::2/128" when dual-stack */
  allowedIps: string;
  /** Base64, 32 bytes. Never in an argv: wg reads it from a private temporary file (psk-files.ts). */
  presharedKey?: string;
}

/** One clause of a `wg set` call; wg applies clauses left to right. */
export type PeerChange = { add: PeerSpec } | { remove: string };

/** What the rest of the code reads of the interface. Peer changes go through the coalescer only. */
export interface WireGuardInterface {
  readonly name: string;
  dump(): Promise<InterfaceDump>;
  exists(): Promise<boolean>;
}

/**
 * Adds and removes in one `wg set` per PEERS_PER_COMMAND clauses, in the order given; removing a
 * peer that is not there succeeds. The coalescer's raw material (createPeerCoalescer): build one
 * with createSetPeers only to hand it to the coalescer.
 */
export type SetPeers = (changes: readonly PeerChange[]) => Promise<void>;

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

/** A comma-separated list of IPv4 and IPv6 CIDRs, each one valid (net.ts canonicalAllowedIp). */
function isAllowedIps(value: string): boolean {
  return value !== '' && value.split(',').every((entry) => canonicalAllowedIp(entry) !== null);
}

/** Runs a command on the node, inside the configured network namespace if any. */
function commandRunner(options: InterfaceOptions): (bin: string, args: string[]) => ReturnType<CommandRunner['run']> {
  const { runner } = options;
  return (bin, args) => (options.netns ? runner.run(options.ipBin, ['netns', 'exec', options.netns, bin, ...args]) : runner.run(bin, args));
}

export function createSetPeers(options: InterfaceOptions): SetPeers {
  const run = commandRunner(options);
  return async (changes) => {
    for (const change of changes) assertPeerChange(change);
    for (const chunk of chunks(changes, PEERS_PER_COMMAND)) {
      const secrets = chunk.flatMap((c) => ('add' in c && c.add.presharedKey !== undefined ? [c.add.presharedKey] : []));
      await withPresharedKeyFiles(secrets, (pathOf) => run(options.wgBin, ['set', options.name, ...chunk.flatMap((c) => peerClause(c, pathOf))]));
    }
  };
}

export function createWireGuardInterface(options: InterfaceOptions): WireGuardInterface {
  const { name } = options;
  const run = commandRunner(options);

  return {
    name,
    async dump() {
      // Yielding parse: a full interface's dump must not stall the requests being served.
      return parseDumpYielding((await run(options.wgBin, ['show', name, 'dump'])).stdout);
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

/** Throws before any argv is built from an invalid key or allowed-ips value. */
export function assertPeerChange(change: PeerChange): void {
  if ('remove' in change) return assertPublicKey(change.remove);
  assertPublicKey(change.add.publicKey);
  if (!isAllowedIps(change.add.allowedIps)) throw new Error(`invalid allowed-ips ${change.add.allowedIps}`);
  // Same shape as a public key; the message never repeats the value (it is a secret).
  if (change.add.presharedKey !== undefined && !isPublicKey(change.add.presharedKey)) throw new Error('invalid preshared key');
}

function peerClause(change: PeerChange, pathOf: (secret: string) => string): string[] {
  if ('remove' in change) return ['peer', change.remove, 'remove'];
  const { publicKey, allowedIps, presharedKey } = change.add;
  const clause = ['peer', publicKey, 'allowed-ips', allowedIps];
  if (presharedKey !== undefined) clause.push('preshared-key', pathOf(presharedKey));
  return clause;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

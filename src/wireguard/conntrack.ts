// Connection tracking of revoked addresses. On a node that does NAT, the kernel keeps a conntrack
// entry per flow (src → dst, and how to translate the reply). When a session ends, its flows'
// entries outlive it for minutes (TCP established: days); if the address then goes to another
// device, replies of the old device's flows are translated and routed to the new one. Deleting
// the entries when the peer is confirmed gone ends that at once (the address quarantine in
// src/registry/address-pool.ts is the second line). `conntrack -D` per address, argv arrays,
// in the node's namespace like wg and ip; in the background, so a revocation's answer never
// waits for it, and a failure is logged and counted, never turned into a failed revocation
// (the peer IS gone; the entries time out on their own).
import type { Logger } from '../logger.js';
import { formatIpv4 } from '../net.js';
import { CommandFailedError, type CommandRunner } from './runner.js';

export interface ConntrackOptions {
  runner: CommandRunner;
  /** The conntrack program (WGNODE_CONNTRACK_BIN). */
  bin: string;
  ipBin: string;
  /** When set, runs as `ip netns exec NETNS conntrack ...`, the namespace of the interface. */
  netns: string;
  log: Logger;
  /** Each address's outcome (metrics). */
  onOutcome?: (outcome: 'ok' | 'failed') => void;
}

/** A session's tunnel addresses: IPv4 as an integer, IPv6 as text (null without an IPv6 pool). */
interface TunnelAddresses {
  address: number;
  address6: string | null;
}

/** What the use cases see: fire and forget, in the background. */
export interface ConntrackFlusher {
  /** Deletes the entries of these sessions' addresses (IPv4, and IPv6 when dual-stack) soon; never throws. */
  forget(sessions: readonly TunnelAddresses[]): void;
  /** Resolves when nothing is queued or running (tests, shutdown). */
  idle(): Promise<void>;
}

/**
 * The argvs that delete every entry of one tunnel address: flows it opened (original source) and
 * flows to it, DNATed or not (reply source: whatever the original destination, replies come from it).
 */
export function conntrackArgvs(address: string): string[][] {
  // conntrack looks in the IPv4 table unless told the family.
  const family = address.includes(':') ? ['-f', 'ipv6'] : [];
  return [
    ['-D', ...family, '--orig-src', address],
    ['-D', ...family, '--reply-src', address],
  ];
}

// conntrack exits 1 when nothing matched; that is success for us (nothing left to delete).
const NOTHING_DELETED = /\b0 flow entries have been deleted/;

export function createConntrackFlusher(options: ConntrackOptions): ConntrackFlusher {
  const { runner, bin, netns, log } = options;
  const run = (args: string[]) => (netns ? runner.run(options.ipBin, ['netns', 'exec', netns, bin, ...args]) : runner.run(bin, args));
  // One at a time, in order: a bulk revocation of thousands must not spawn thousands at once.
  let chain: Promise<void> = Promise.resolve();
  let pending = 0;

  async function forgetOne(text: string): Promise<void> {
    try {
      for (const args of conntrackArgvs(text)) {
        try {
          await run(args);
        } catch (error) {
          if (!(error instanceof CommandFailedError && error.exitCode === 1 && NOTHING_DELETED.test(error.stderr))) throw error;
        }
      }
      options.onOutcome?.('ok');
    } catch (error) {
      options.onOutcome?.('failed');
      log.warn({ err: error, address: text }, 'deleting the conntrack entries of a revoked address failed; they expire on their own');
    }
  }

  return {
    forget(sessions) {
      const addresses = sessions.flatMap((s) => (s.address6 ? [formatIpv4(s.address), s.address6] : [formatIpv4(s.address)]));
      for (const address of addresses) {
        pending++;
        chain = chain.then(() => forgetOne(address)).finally(() => void pending--);
      }
    },
    async idle() {
      while (pending > 0) await chain;
    },
  };
}

// What every use case needs.
import type { Logger } from '../logger.js';
import type { Registry } from '../registry/index.js';
import type { PeerSpec } from '../wireguard/interface.js';

/** The part of the WireGuard layer the use cases drive: possibly coalescing, always idempotent. */
export interface PeerCommands {
  addPeers(peers: readonly PeerSpec[]): Promise<void>;
  removePeers(publicKeys: readonly string[]): Promise<void>;
}

export interface UseCaseDeps {
  registry: Registry;
  peers: PeerCommands;
  log: Logger;
  now?: () => number;
  maxDevicesPerUser: number;
  /** Keys the operator manages by hand (WGNODE_STATIC_PEERS): never given to a session. */
  staticPeers?: ReadonlySet<string>;
}

/** Who asked: a token's name, a JWT subject, or "local" for the operator's socket. */
export type Actor = string;

// What every use case needs.
import type { Logger } from '../logger.js';
import type { PresharedKeySealer } from '../preshared-keys.js';
import type { Registry } from '../registry/index.js';
import type { ConntrackFlusher } from '../wireguard/conntrack.js';
import type { PeerChanges } from '../wireguard/peer-changes.js';

export interface UseCaseDeps {
  registry: Registry;
  peers: PeerChanges;
  log: Logger;
  now?: () => number;
  maxDevicesPerUser: number;
  /** Keys the operator manages by hand (WGNODE_STATIC_PEERS): never given to a session. */
  staticPeers?: ReadonlySet<string>;
  /** Deletes revoked addresses' connection-tracking entries (WGNODE_CONNTRACK); absent = off. */
  conntrack?: ConntrackFlusher;
  /**
   * ACTIVE sessions a device may hold (WGNODE_SESSIONS_PER_DEVICE): a connect beyond it replaces
   * the oldest in the same `wg set` call. 0 or absent = no limit.
   */
  sessionsPerDevice?: number;
  /** Seals preshared keys before they are stored; without it a connect with a preshared key is refused. */
  presharedKeys?: PresharedKeySealer;
}

/** Who asked: a token's name, a JWT subject, or "local" for the operator's socket. */
export type Actor = string;

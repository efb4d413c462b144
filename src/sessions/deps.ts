// What every use case needs.
import type { Logger } from '../logger.js';
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
}

/** Who asked: a token's name, a JWT subject, or "local" for the operator's socket. */
export type Actor = string;

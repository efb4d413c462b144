// The one port for peer changes: what the use cases and the reconciler drive. The coalescer
// (coalescer.ts) is its implementation; nothing else reaches `wg set`.
import type { PeerChange, PeerSpec } from './interface.js';

export interface PeerChanges {
  addPeers(peers: readonly PeerSpec[]): Promise<void>;
  /** Resolves once these peers are confirmed gone (idempotent: absent peers succeed). */
  removePeers(publicKeys: readonly string[]): Promise<void>;
  /**
   * Removals and adds as ONE request, in the order given: they always share one `wg set` call
   * (key rotation: `peer OLD remove peer NEW allowed-ips …`, never both keys, never neither).
   */
  changePeers(changes: readonly PeerChange[]): Promise<void>;
}

// Which interface this registry manages, and the peers the operator adopted on it. wgnode cannot
// mark a WireGuard interface, so the mark lives here: the interface's name and public key as the
// registry saw them when it took the interface over. A fresh registry, or one that names another
// interface (a wrong WGNODE_DB, another node's copy), owns nothing and removes no unknown peer
// (src/reconcile/ownership.ts decides; docs/operations.md explains).
import type { Db } from './database.js';
import { createNodeStateStore } from './node-state.js';

const REGISTRY_ID_KEY = 'registry_id';
const OWNER_KEY = 'interface.owner';

export interface InterfaceOwner {
  /** The registry that took the interface over (its registry_id). */
  registryId: string;
  interface: string;
  /** The interface's public key when it was taken over: another interface has another key. */
  publicKey: string;
  /** ms since the epoch. */
  at: number;
  /** `reconciler` (taken over an interface with no unknown peer), or the operator who adopted or purged. */
  by: string;
}

export interface KeptPeer {
  publicKey: string;
  allowedIps: string;
  adoptedAt: number;
  adoptedBy: string;
}

export function createOwnershipStore(db: Db) {
  const state = createNodeStateStore(db);
  const keptKeys = db.prepare<[], string>('SELECT public_key FROM kept_peers').pluck();
  const listKept = db.prepare<[], KeptPeer>(
    'SELECT public_key AS publicKey, allowed_ips AS allowedIps, adopted_at AS adoptedAt, adopted_by AS adoptedBy FROM kept_peers ORDER BY public_key',
  );
  const keep = db.prepare<[string, string, number, string]>(
    'INSERT INTO kept_peers (public_key, allowed_ips, adopted_at, adopted_by) VALUES (?, ?, ?, ?) ON CONFLICT (public_key) DO NOTHING',
  );
  const release = db.prepare<[string]>('DELETE FROM kept_peers WHERE public_key = ?');

  const registryId = (): string => {
    const id = state.getJson<string>(REGISTRY_ID_KEY);
    // The migration creates it; a row someone deleted or broke is an error, not a new identity.
    if (typeof id !== 'string' || id === '') throw new Error(`the registry has no ${REGISTRY_ID_KEY} in node_state`);
    return id;
  };

  return {
    /** This registry's random identity, created with the database (a backup keeps it). */
    registryId,
    owner: (): InterfaceOwner | null => state.getJson<InterfaceOwner>(OWNER_KEY),
    /** True when this registry took over exactly this interface (same name, same public key). */
    owns(iface: { name: string; publicKey: string }): boolean {
      const owner = state.getJson<InterfaceOwner>(OWNER_KEY);
      return owner !== null && owner.registryId === registryId() && owner.interface === iface.name && owner.publicKey === iface.publicKey;
    },
    takeOver(iface: { name: string; publicKey: string }, at: number, by: string): InterfaceOwner {
      const owner: InterfaceOwner = { registryId: registryId(), interface: iface.name, publicKey: iface.publicKey, at, by };
      state.putJson(OWNER_KEY, owner);
      return owner;
    },
    /** Keys the operator adopted: the reconciler leaves them on the interface, like static peers. */
    keptKeys: (): Set<string> => new Set(keptKeys.all()),
    keptPeers: (): KeptPeer[] => listKept.all(),
    /** Records peers as kept; a key already kept keeps its first record. Returns how many are new. */
    keep(peers: ReadonlyArray<{ publicKey: string; allowedIps: string }>, at: number, by: string): number {
      let added = 0;
      for (const p of peers) added += keep.run(p.publicKey, p.allowedIps, at, by).changes;
      return added;
    },
    /** Forgets kept peers (the next pass treats them as unknown). Returns how many were kept. */
    release(keys: readonly string[]): number {
      let released = 0;
      for (const key of keys) released += release.run(key).changes;
      return released;
    },
  };
}

// The pure rule for peers no live session owns (docs/operations.md: "First start on a live node",
// "The mass-removal guard"). The registry is the truth only for an interface it owns; an operator's
// order (adopt, purge) settles what the rule holds back. ENDING sessions' peers never pass through
// here: they are always removed.

/** WGNODE_MAX_UNKNOWN_REMOVALS by default: more unknown peers than this in one pass is an accident, not drift. */
export const DEFAULT_MAX_UNKNOWN_REMOVALS = 50;

/** What the operator confirmed with `wgnode peers adopt` or `wgnode peers purge --yes`. */
export interface OperatorOrder {
  kind: 'adopt' | 'purge';
  /** Who ordered it (audited): `local` on the operator's socket. */
  actor: string;
}

export interface UnknownPeersInput {
  /** Keys on the interface that no live session owns and that are neither static nor kept. */
  unknownKeys: readonly string[];
  /** This registry owns the interface (same name, same public key). */
  owned: boolean;
  /** The most unknown peers one pass removes on its own; null = no limit. */
  maxUnknownRemovals: number | null;
  order: OperatorOrder | null;
}

export interface UnknownPeersDecision {
  remove: string[];
  /** To record as kept peers (adopt). */
  keep: string[];
  /** Left alone because the registry does not own the interface. */
  unmanaged: number;
  /** Left alone because removing them all at once is more than the guard allows. */
  massHeld: number;
  /** Take the interface over after the pass (by whom), or null to leave ownership as it is. */
  takeOverBy: string | null;
}

export function decideUnknownPeers(input: UnknownPeersInput): UnknownPeersDecision {
  const keys = [...input.unknownKeys];
  const decision: UnknownPeersDecision = { remove: [], keep: [], unmanaged: 0, massHeld: 0, takeOverBy: null };
  if (input.order?.kind === 'purge') return { ...decision, remove: keys, takeOverBy: input.order.actor };
  if (input.order?.kind === 'adopt') return { ...decision, keep: keys, takeOverBy: input.order.actor };
  if (!input.owned) {
    // Nothing to lose on an interface that carries no stranger: take it over at once.
    if (keys.length === 0) return { ...decision, takeOverBy: 'reconciler' };
    return { ...decision, unmanaged: keys.length };
  }
  if (input.maxUnknownRemovals !== null && keys.length > input.maxUnknownRemovals) return { ...decision, massHeld: keys.length };
  return { ...decision, remove: keys };
}

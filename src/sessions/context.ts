// What every use case needs, and the two steps they share: a registry transaction that turns
// SQLITE_BUSY into a retryable answer, and the enforcement of recorded removals.
import type { Logger } from '../logger.js';
import type { AuditEntry, LivePeer, Registry } from '../registry/index.js';
import type { PeerSpec } from '../wireguard/interface.js';
import { DomainError, errors } from './errors.js';
import { inGroupTransaction } from './group-commit.js';

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

/** A refusal is returned from the transaction, not thrown, so that its audit row commits. */
export type Refusal = { refused: DomainError };

export function isRefusal(value: unknown): value is Refusal {
  return typeof value === 'object' && value !== null && 'refused' in value;
}

/** Audits a refused action (inside the transaction) and returns the refusal for inTransaction to throw. */
export function refuse(deps: UseCaseDeps, audit: Omit<AuditEntry, 'outcome'>, error: DomainError): Refusal {
  deps.registry.audit.record({ ...audit, outcome: `refused:${error.code}` });
  return { refused: error };
}

export function inTransaction<T>(deps: UseCaseDeps, fn: () => T): Exclude<T, Refusal> {
  let result: T;
  try {
    result = deps.registry.transaction(fn);
  } catch (error) {
    throw busyError(error) ?? error;
  }
  if (isRefusal(result)) throw result.refused;
  return result as Exclude<T, Refusal>;
}

/** SQLITE_BUSY as the retryable answer callers get; null for any other error. */
export function busyError(error: unknown): DomainError | null {
  if (!(error as { code?: string } | null)?.code?.startsWith('SQLITE_BUSY')) return null;
  return new DomainError('REGISTRY_BUSY', 'The node registry is busy; retry the request', 503, { cause: error });
}

/**
 * Removes the peers of sessions already marked ENDING, then marks them ENDED. On failure the
 * rows stay ENDING (the reconciler finishes them) and the caller gets an honest 503.
 */
export async function enforceRemoval(deps: UseCaseDeps, ending: readonly LivePeer[], auditId: number): Promise<void> {
  const now = deps.now ?? Date.now;
  if (ending.length > 0) {
    try {
      await deps.peers.removePeers(ending.map((s) => s.publicKey));
    } catch (error) {
      deps.log.error({ err: error, auditId, sessions: ending.map((s) => s.id) }, 'peer removal failed; left for the reconciler');
      inTransaction(deps, () => deps.registry.audit.settle(auditId, 'pending'));
      throw errors.removalPending(error);
    }
  }
  // Shares its commit with the other settlements of this turn (the coalescer confirms many at once).
  await inGroupTransaction(deps, () => {
    deps.registry.sessions.markEnded(
      ending.map((s) => s.id),
      now(),
    );
    deps.registry.audit.settle(auditId, 'ok');
  });
}

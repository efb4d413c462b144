// The second half of every revocation, single or bulk: remove each staged removal's peers (each
// its own request to the coalescer, so each learns its own fate while they share `wg set` calls),
// then settle all of them in one (group) transaction: confirmed → ENDED + audit ok; unconfirmed →
// the rows stay ENDING (the reconciler finishes them) + audit pending, and the caller gets an honest 503.
import type { LivePeer } from '../registry/index.js';
import type { UseCaseDeps } from './deps.js';
import { errors, type DomainError } from './errors.js';
import { inGroupTransaction } from './transactions.js';

/** A revocation whose intent is recorded (sessions ENDING, audit row pending): its peers must go. */
export interface StagedRemoval {
  ending: LivePeer[];
  auditId: number;
}

/** Returns, per staged removal, null when its peers are confirmed gone, else its error (REMOVAL_PENDING). */
export async function enforceRemovals(deps: UseCaseDeps, staged: readonly StagedRemoval[]): Promise<Array<DomainError | null>> {
  const settled = await Promise.allSettled(
    staged.map((s) => (s.ending.length === 0 ? Promise.resolve() : deps.peers.removePeers(s.ending.map((p) => p.publicKey)))),
  );
  const failures = settled.map((r) => (r.status === 'rejected' ? errors.removalPending(r.reason) : null));
  const failed = settled.flatMap((r, k) => (r.status === 'rejected' ? [{ auditId: staged[k]!.auditId, err: r.reason as unknown }] : []));
  if (failed.length > 0) {
    // One line for the lot: a failing interface must not write ten thousand log lines.
    deps.log.error({ err: failed[0]!.err, failed: failed.length, audits: failed.slice(0, 20).map((f) => f.auditId) }, 'peer removal failed; left for the reconciler');
  }
  const now = (deps.now ?? Date.now)();
  // Shares its commit with the other settlements of this turn (the coalescer confirms many at once).
  await inGroupTransaction(deps, () => {
    staged.forEach((s, k) => {
      if (failures[k]) return deps.registry.audit.settle(s.auditId, 'pending');
      deps.registry.sessions.markEnded(
        s.ending.map((p) => p.id),
        now,
      );
      deps.registry.audit.settle(s.auditId, 'ok');
    });
  });
  // The peers are gone: their flows' conntrack entries go too, in the background (never delays the answer).
  if (deps.conntrack) deps.conntrack.forget(staged.flatMap((s, k) => (failures[k] ? [] : s.ending)));
  return failures;
}

/** The single revocation's removal step: throws REMOVAL_PENDING unless its peers are confirmed gone. */
export async function enforceRemoval(deps: UseCaseDeps, removal: StagedRemoval): Promise<void> {
  const [failure] = await enforceRemovals(deps, [removal]);
  if (failure) throw failure;
}

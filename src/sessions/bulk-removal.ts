// The second half of a bulk revocation: remove every staged item's peers (each its own request
// to the coalescer, so each learns its own fate while they share `wg set` calls), then settle
// all of them in one transaction: confirmed → ENDED + audit ok; unconfirmed → stay ENDING.
import { inTransaction, type UseCaseDeps } from './context.js';
import { errors, type DomainError } from './errors.js';
import type { StagedRemoval } from './revoke.js';

/** Returns, per staged removal, null when its peers are confirmed gone, else the item's error. */
export async function enforceRemovals(deps: UseCaseDeps, staged: readonly StagedRemoval[]): Promise<Array<DomainError | null>> {
  const settled = await Promise.allSettled(
    staged.map((s) => (s.ending.length === 0 ? Promise.resolve() : deps.peers.removePeers(s.ending.map((p) => p.publicKey)))),
  );
  const failures = settled.map((r) => (r.status === 'rejected' ? errors.removalPending(r.reason) : null));
  const failed = settled.flatMap((r, k) => (r.status === 'rejected' ? [{ auditId: staged[k]!.auditId, err: r.reason as unknown }] : []));
  if (failed.length > 0) {
    // One line for the lot: a failing interface must not write ten thousand log lines.
    deps.log.error({ err: failed[0]!.err, failed: failed.length, audits: failed.slice(0, 20).map((f) => f.auditId) }, 'bulk peer removal failed; left for the reconciler');
  }
  const now = (deps.now ?? Date.now)();
  inTransaction(deps, () => {
    staged.forEach((s, k) => {
      if (failures[k]) return deps.registry.audit.settle(s.auditId, 'pending');
      deps.registry.sessions.markEnded(
        s.ending.map((p) => p.id),
        now,
      );
      deps.registry.audit.settle(s.auditId, 'ok');
    });
  });
  return failures;
}

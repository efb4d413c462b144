// The drift report: what the last reconcile pass found and repaired (the CLI's `status` and
// monitoring read it). Persisted by the reconciler, so it survives a restart.
import type { ReconcileReport } from '../../reconcile/report.js';
import type { SchemaModule } from '../build-schema.js';

export function createReconcileModule(deps: { reconciler: { lastReport(): ReconcileReport | null } }): SchemaModule {
  return {
    typeDefs: /* GraphQL */ `
      type ReconcileReport {
        at: String!
        durationMs: Int!
        ok: Boolean!
        error: String
        peersOnInterface: Int!
        removedUnknownPeers: Int!
        finishedIntents: Int!
        restoredPeers: Int!
        endedIdleSessions: Int!
        "Sessions past their expiry (connectDevice lifetimeS) that the pass ended."
        endedExpiredSessions: Int!
        handshakesRecorded: Int!
        "Why recording handshakes and counters failed (the repairs still ran); null when it worked."
        bookkeepingError: String
        "How far the wall clock jumped since the previous pass (ms, positive = forward); null when it did not."
        clockJumpMs: Float
        "This registry manages the interface: unknown peers are removed (else only reported, as unmanagedPeers)."
        interfaceOwned: Boolean!
        "Unknown peers left alone because this registry does not manage the interface yet: wgnode peers adopt | purge --yes."
        unmanagedPeers: Int!
        "Unknown peers left alone because removing them at once is above WGNODE_MAX_UNKNOWN_REMOVALS."
        massRemovalHeld: Int!
        "Unknown peers the operator adopted in this pass (now kept)."
        adoptedPeers: Int!
      }

      extend type Query {
        "The last reconcile pass; null before the first."
        reconcileReport: ReconcileReport
      }
    `,
    resolvers: { Query: { reconcileReport: () => deps.reconciler.lastReport() } },
  };
}

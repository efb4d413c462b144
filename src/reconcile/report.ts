// What one reconcile pass did. The shape is the GraphQL ReconcileReport type (the CLI and the
// metrics read it), and the last one is kept in node_state so it survives a restart.
export interface ReconcileReport {
  /** ISO time the pass started. */
  at: string;
  durationMs: number;
  ok: boolean;
  /** Why the pass failed (a command or the registry); null when ok. */
  error: string | null;
  peersOnInterface: number;
  /** Peers no live session owns (not static): unauthorized access, removed. */
  removedUnknownPeers: number;
  /** ENDING sessions whose removal this pass confirmed (now ENDED). */
  finishedIntents: number;
  /** ACTIVE sessions whose missing (or altered) peer this pass put back. */
  restoredPeers: number;
  endedIdleSessions: number;
  /** ACTIVE sessions past their expiry (connectDevice lifetimeS) that this pass ended. */
  endedExpiredSessions: number;
  /** Session rows whose handshake time or byte counters changed and were written. */
  handshakesRecorded: number;
  /** Why recording handshakes and counters failed (the repairs still ran); null when it worked. */
  bookkeepingError: string | null;
  /** How far the wall clock jumped since the previous pass (ms, + forward), when it did; else null. */
  clockJumpMs: number | null;
  /** This registry owns the interface after the pass (else unknown peers are only reported). */
  interfaceOwned: boolean;
  /** Unknown peers left on the interface because the registry does not own it: adopt or purge them. */
  unmanagedPeers: number;
  /** Unknown peers left on the interface because removing them all at once is above WGNODE_MAX_UNKNOWN_REMOVALS. */
  massRemovalHeld: number;
  /** Unknown peers the operator adopted in this pass (now kept peers). */
  adoptedPeers: number;
}

export const REPORT_STATE_KEY = 'reconcile.lastReport';

export function emptyReport(at: number): ReconcileReport {
  return {
    at: new Date(at).toISOString(),
    durationMs: 0,
    ok: true,
    error: null,
    peersOnInterface: 0,
    removedUnknownPeers: 0,
    finishedIntents: 0,
    restoredPeers: 0,
    endedIdleSessions: 0,
    endedExpiredSessions: 0,
    handshakesRecorded: 0,
    bookkeepingError: null,
    clockJumpMs: null,
    interfaceOwned: false,
    unmanagedPeers: 0,
    massRemovalHeld: 0,
    adoptedPeers: 0,
  };
}

/** Repairs only: handshakes are bookkeeping, not drift. */
export function repairCount(report: ReconcileReport): number {
  return report.removedUnknownPeers + report.finishedIntents + report.restoredPeers + report.endedIdleSessions + report.endedExpiredSessions;
}

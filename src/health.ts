// Readiness: the database answers, the interface exists, and the reconciler completed a pass
// recently (within three intervals) that held back no unknown peer. Each check says why it failed, in words safe for an
// unauthenticated probe: no error text (a path, a command's stderr, SQL); the detail is in the
// log and in the authenticated reconcileReport query.
import type { Readiness } from './app.js';
import type { Registry } from './registry/index.js';
import type { WireGuardInterface } from './wireguard/interface.js';

/** What readiness needs of the reconciler (src/reconcile). */
interface ReconcileStatus {
  intervalMs: number;
  lastSuccessAt(): number | null;
  lastReport(): { ok: boolean; error: string | null; unmanagedPeers?: number; massRemovalHeld?: number } | null;
}

export interface ReadinessDeps {
  registry: Pick<Registry, 'ping'>;
  wireguard: Pick<WireGuardInterface, 'name' | 'exists'>;
  reconcile?: ReconcileStatus;
  /** The drain state, when draining (src/sessions/drain.ts). */
  draining?: () => { since: number; deadline: number | null } | null;
  now?: () => number;
}

/** A pass may be late or fail once; three intervals without a success means the node is drifting. */
const RECONCILE_STALE_INTERVALS = 3;

export function createReadiness(deps: ReadinessDeps): () => Promise<Readiness> {
  const now = deps.now ?? Date.now;
  return async () => {
    const checks: Readiness['checks'] = {};
    try {
      deps.registry.ping();
      checks.database = { ok: true };
    } catch {
      checks.database = { ok: false, detail: 'the registry does not answer' };
    }
    const exists = await deps.wireguard.exists();
    checks.interface = exists ? { ok: true } : { ok: false, detail: `interface ${deps.wireguard.name} does not exist` };
    if (deps.reconcile) checks.reconcile = reconcileCheck(deps.reconcile, now());
    // Draining keeps the node ready: the control plane must still reach it to revoke (a balancer
    // that dropped it would cut revocations off); new clients are refused by connectDevice itself.
    const draining = readDraining(deps);
    if (draining) checks.draining = { ok: true, detail: drainingDetail(draining) };
    return { ready: Object.values(checks).every((c) => c.ok), checks };
  };
}

function reconcileCheck(reconcile: ReconcileStatus, now: number): Readiness['checks'][string] {
  const lastSuccess = reconcile.lastSuccessAt();
  const last = reconcile.lastReport();
  const lastError = last && !last.ok ? '; the last pass failed (see the reconcileReport query or the log)' : '';
  if (lastSuccess === null) return { ok: false, detail: `no reconcile pass has succeeded since start-up${lastError}` };
  const ageMs = now - lastSuccess;
  if (ageMs > RECONCILE_STALE_INTERVALS * reconcile.intervalMs) {
    return { ok: false, detail: `the last successful reconcile pass was ${ageMs} ms ago${lastError}` };
  }
  return unknownPeersCheck(last);
}

/**
 * Unknown peers the reconciler holds back make the node not ready: the registry and the interface
 * disagree and only the operator can settle it (docs/operations.md, "First start on a live node").
 */
function unknownPeersCheck(last: ReturnType<ReconcileStatus['lastReport']>): Readiness['checks'][string] {
  const unmanaged = last?.unmanagedPeers ?? 0;
  const held = last?.massRemovalHeld ?? 0;
  if (unmanaged > 0) {
    return { ok: false, detail: `interface carries ${unmanaged} peers this registry does not know; adopt or remove them: wgnode peers adopt | wgnode peers purge --yes` };
  }
  if (held > 0) {
    return {
      ok: false,
      detail: `one reconcile pass would remove ${held} unknown peers, more than WGNODE_MAX_UNKNOWN_REMOVALS allows; nothing removed: wgnode peers purge --yes removes them, wgnode peers adopt keeps them`,
    };
  }
  return { ok: true };
}

function drainingDetail(draining: { since: number; deadline: number | null }): string {
  const deadline = draining.deadline === null ? '' : `; remaining sessions end by ${new Date(draining.deadline).toISOString()}`;
  return `draining since ${new Date(draining.since).toISOString()}: new connects are refused${deadline}`;
}

/** The drain state, or null; a registry that does not answer is the database check's to report. */
function readDraining(deps: ReadinessDeps): { since: number; deadline: number | null } | null {
  try {
    return deps.draining?.() ?? null;
  } catch {
    return null;
  }
}

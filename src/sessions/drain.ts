// Draining: taking a node out of service without cutting anyone off. A draining node refuses new
// connects (NODE_DRAINING, 503) but serves its sessions and every revocation; with a deadline, the
// drainer (drainer.ts) ends the remaining sessions in batches until then, so clients reconnect
// elsewhere a few at a time. The state lives in node_state: a restart keeps draining.
import type { Registry } from '../registry/index.js';
import type { Actor, UseCaseDeps } from './deps.js';
import { errors } from './errors.js';
import { inTransaction } from './transactions.js';
import { checkReason } from './validate.js';

export interface DrainState {
  /** When draining began (ms). */
  since: number;
  reason: string | null;
  /** When every session should be gone (ms); null = no deadline, sessions end on their own. */
  deadline: number | null;
}

const DRAIN_KEY = 'drain';
/** A deadline further out than this is a mistake (a unit mix-up), not a plan. */
const MAX_DRAIN_DEADLINE_S = 7 * 86_400;

/** The node's drain state, or null when it serves normally. */
export function readDrainState(registry: Pick<Registry, 'state'>): DrainState | null {
  const state = registry.state.getJson<DrainState | null>(DRAIN_KEY);
  return state && typeof state.since === 'number' ? state : null;
}

export function drainNode(deps: UseCaseDeps, request: { actor: Actor; reason?: string | null; deadlineS?: number | null }): true {
  const reason = checkReason(request.reason);
  const { deadlineS } = request;
  if (deadlineS != null && (!Number.isSafeInteger(deadlineS) || deadlineS < 0 || deadlineS > MAX_DRAIN_DEADLINE_S)) {
    throw errors.badInput(`deadlineS must be a whole number of seconds from 0 to ${MAX_DRAIN_DEADLINE_S}`);
  }
  const now = (deps.now ?? Date.now)();
  inTransaction(deps, () => {
    // Draining again changes the reason and the deadline but keeps when it began.
    const since = readDrainState(deps.registry)?.since ?? now;
    const state: DrainState = { since, reason, deadline: deadlineS == null ? null : now + deadlineS * 1000 };
    deps.registry.state.putJson(DRAIN_KEY, state);
    deps.registry.audit.record({ at: now, actor: request.actor, action: 'drain', reason, outcome: 'ok', detail: JSON.stringify({ deadlineS: deadlineS ?? null }) });
  });
  return true;
}

export function undrainNode(deps: UseCaseDeps, request: { actor: Actor }): true {
  const now = (deps.now ?? Date.now)();
  inTransaction(deps, () => {
    const was = readDrainState(deps.registry);
    deps.registry.state.putJson(DRAIN_KEY, null);
    deps.registry.audit.record({ at: now, actor: request.actor, action: 'undrain', outcome: 'ok', detail: was ? null : 'was not draining' });
  });
  return true;
}

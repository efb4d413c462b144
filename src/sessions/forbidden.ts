// A mutation refused for want of the admin scope never reaches its use case, but the operator
// still wants to see who tried what: the refusal is audited like every other refused action.
import type { Actor, UseCaseDeps } from './deps.js';
import { inTransaction, REFUSAL_WINDOW_MS } from './transactions.js';

export interface ForbiddenMutation {
  actor: Actor;
  /** The root fields the caller asked for. */
  mutations: readonly string[];
}

/** Never throws: the caller gets its 403 whether or not the row could be written. */
export function recordForbiddenMutation(deps: UseCaseDeps, request: ForbiddenMutation): void {
  const now = deps.now ?? Date.now;
  try {
    inTransaction(deps, () =>
      deps.registry.audit.recordRefusal(
        {
          at: now(),
          actor: request.actor,
          action: request.mutations.join(',') || 'mutation',
          outcome: 'refused:FORBIDDEN',
          detail: 'needs scope admin',
        },
        REFUSAL_WINDOW_MS,
      ),
    );
  } catch (error) {
    deps.log.error({ err: error, actor: request.actor }, 'could not audit a refused mutation');
  }
}

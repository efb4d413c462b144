// Bulk revocation for the control plane after an incident: many devices, one request. Every item
// is checked and refused exactly as its single mutation would be, all intents commit in ONE
// transaction, then the removals go out together (the coalescer packs them into few `wg set`
// calls) and the confirmed ones are ENDED in one more transaction. Each item answers for itself.
import type { Actor, UseCaseDeps } from './deps.js';
import { DomainError, errors } from './errors.js';
import { enforceRemovals, type StagedRemoval } from './removal.js';
import { stageDeactivation, stageDisconnect, type RevokeRequest } from './revoke.js';
import { inTransaction, isRefusal } from './transactions.js';
import { checkId, checkReason } from './validate.js';

export const MAX_BULK_ITEMS = 10_000;

export interface DeviceRef {
  userId: number;
  deviceId: number;
}

export type BulkOutcome = DeviceRef & ({ ok: true } | { ok: false; error: DomainError });

export interface BulkRequest {
  actor: Actor;
  items: readonly DeviceRef[];
  reason?: string | null;
}

type Stage = (deps: UseCaseDeps, request: RevokeRequest, now: number) => ReturnType<typeof stageDisconnect>;

export const disconnectDevices = (deps: UseCaseDeps, request: BulkRequest) => revokeMany(deps, request, stageDisconnect);
export const deactivateDevices = (deps: UseCaseDeps, request: BulkRequest) => revokeMany(deps, request, stageDeactivation);

async function revokeMany(deps: UseCaseDeps, request: BulkRequest, stage: Stage): Promise<BulkOutcome[]> {
  const { actor, items } = request;
  if (items.length > MAX_BULK_ITEMS) {
    throw errors.badInput(`items must hold at most ${MAX_BULK_ITEMS} devices; split the request (got ${items.length})`);
  }
  const reason = checkReason(request.reason);
  const now = (deps.now ?? Date.now)();
  const outcomes: BulkOutcome[] = items.map((item) => ({ userId: item.userId, deviceId: item.deviceId, ...checkItem(item) }));

  const staged: Array<{ index: number; removal: StagedRemoval }> = [];
  const claimed = new Set<number>();
  inTransaction(deps, () => {
    outcomes.forEach((outcome, index) => {
      if (!outcome.ok) return;
      const result = stage(deps, { actor, userId: outcome.userId, deviceId: outcome.deviceId, reason, claimed }, now);
      if (isRefusal(result)) outcomes[index] = { userId: outcome.userId, deviceId: outcome.deviceId, ok: false, error: result.refused };
      else {
        staged.push({ index, removal: result });
        result.ending.forEach((s) => claimed.add(s.id));
      }
    });
  });

  const failures = await enforceRemovals(
    deps,
    staged.map((s) => s.removal),
  );
  staged.forEach(({ index }, k) => {
    const failure = failures[k];
    if (failure) outcomes[index] = { userId: outcomes[index]!.userId, deviceId: outcomes[index]!.deviceId, ok: false, error: failure };
  });
  return outcomes;
}

/** The checks the single mutation makes before its transaction; a bad item fails alone. */
function checkItem(item: DeviceRef): { ok: true } | { ok: false; error: DomainError } {
  try {
    checkId('userId', item.userId);
    checkId('deviceId', item.deviceId);
    return { ok: true };
  } catch (error) {
    if (error instanceof DomainError) return { ok: false, error };
    throw error;
  }
}

// Disconnect (by device or by session) and deactivate: the intent is committed first
// (sessions ENDING, device DEACTIVATED, audit row), then the peers are removed.
// Retries are safe: a revocation that finds its work already recorded but its removal not yet
// confirmed (sessions ENDING: an earlier 503, a timed-out call still in flight) removes those
// peers again and answers true once they are gone. Only when nothing is left to remove does it
// answer the contract's SESSION_NOT_FOUND / DEVICE_NOT_FOUND.
import type { LivePeer } from '../registry/index.js';
import type { Actor, UseCaseDeps } from './deps.js';
import { errors } from './errors.js';
import { enforceRemoval, type StagedRemoval } from './removal.js';
import { inGroupTransaction, refuse, type Refusal } from './transactions.js';
import { checkId, checkReason } from './validate.js';

export interface RevokeRequest {
  actor: Actor;
  userId: number;
  deviceId: number;
  reason?: string | null;
  /**
   * Sessions an earlier item of the same bulk request is already removing: not this item's to
   * retry, so a device repeated in one request answers as it would after the first item.
   */
  claimed?: ReadonlySet<number>;
}

export async function disconnectDevice(deps: UseCaseDeps, request: RevokeRequest): Promise<true> {
  checkId('userId', request.userId);
  checkId('deviceId', request.deviceId);
  const reason = checkReason(request.reason);
  const now = (deps.now ?? Date.now)();
  await enforceRemoval(deps, await inGroupTransaction(deps, () => stageDisconnect(deps, { ...request, reason }, now)));
  return true;
}

/** Inside a transaction, with checked input: records a disconnect's intent, or returns an audited refusal. */
export function stageDisconnect(deps: UseCaseDeps, request: RevokeRequest, now: number): StagedRemoval | Refusal {
  const { registry } = deps;
  const { actor, userId, deviceId, reason = null } = request;
  const audit = { at: now, actor, action: 'disconnect', userId, deviceId, reason };
  if (!registry.devices.exists(userId, deviceId)) {
    return refuse(deps, audit, errors.userOrDeviceNotFound());
  }
  const live = unclaimed(registry.sessions.liveByDevice(userId, deviceId), request.claimed);
  if (live.length === 0) return refuse(deps, audit, errors.noActiveSessionForDevice());
  const active = live.filter((s) => s.status === 'ACTIVE');
  registry.sessions.markEnding(
    active.map((s) => s.id),
    { now, reason, by: actor },
  );
  // Sessions already ENDING go with the rest: `true` means every peer of the device is gone.
  const ending = live.map((s) => ({ ...s, status: 'ENDING' as const }));
  return { ending, auditId: registry.audit.record({ ...audit, outcome: 'pending', detail: sessionIds(ending, active.length === 0) }) };
}

export async function disconnectSession(
  deps: UseCaseDeps,
  request: { actor: Actor; sessionId: number; reason?: string | null },
): Promise<true> {
  const { registry } = deps;
  const { actor, sessionId } = request;
  checkId('sessionId', sessionId);
  const reason = checkReason(request.reason);
  const now = (deps.now ?? Date.now)();

  const staged = await inGroupTransaction(deps, () => {
    const session = registry.sessions.get(sessionId);
    const audit = { at: now, actor, action: 'disconnect', sessionId, userId: session?.userId, deviceId: session?.deviceId, reason };
    if (!session || session.status === 'ENDED') return refuse(deps, audit, errors.noActiveSession());
    const retry = session.status === 'ENDING';
    if (!retry) registry.sessions.markEnding([sessionId], { now, reason, by: actor });
    return { ending: [{ ...session, status: 'ENDING' as const }], auditId: registry.audit.record({ ...audit, outcome: 'pending', detail: retry ? RETRY_DETAIL : null }) };
  });
  await enforceRemoval(deps, staged);
  return true;
}

export async function deactivateDevice(deps: UseCaseDeps, request: RevokeRequest): Promise<true> {
  checkId('userId', request.userId);
  checkId('deviceId', request.deviceId);
  const reason = checkReason(request.reason);
  const now = (deps.now ?? Date.now)();
  await enforceRemoval(deps, await inGroupTransaction(deps, () => stageDeactivation(deps, { ...request, reason }, now)));
  return true;
}

/** Inside a transaction, with checked input: records a deactivation's intent, or returns an audited refusal. */
export function stageDeactivation(deps: UseCaseDeps, request: RevokeRequest, now: number): StagedRemoval | Refusal {
  const { registry } = deps;
  const { actor, userId, deviceId, reason = null } = request;
  const audit = { at: now, actor, action: 'deactivate', userId, deviceId, reason };
  if (!registry.devices.userExists(userId)) return refuse(deps, audit, errors.userNotFound());
  // The guarded UPDATE is the race's referee: of two concurrent deactivations, one changes the row.
  const changed = registry.devices.deactivate({ userId, deviceId, now, by: actor, reason });
  const live = unclaimed(registry.sessions.liveByDevice(userId, deviceId), request.claimed);
  // Not changed but peers still live (ENDING): the device was already DEACTIVATED and this is a
  // retry, which removes them again (below).
  if (!changed && live.length === 0) {
    return refuse(deps, audit, errors.deviceNotFound());
  }
  registry.sessions.markEnding(
    live.map((s) => s.id),
    { now, reason: reason ?? 'device deactivated', by: actor },
  );
  // Sessions already ENDING (an earlier removal that failed) are removed again with the rest.
  return { ending: live, auditId: registry.audit.record({ ...audit, outcome: 'pending', detail: sessionIds(live, !changed) }) };
}

function unclaimed(live: LivePeer[], claimed: ReadonlySet<number> | undefined): LivePeer[] {
  return claimed ? live.filter((s) => !claimed.has(s.id)) : live;
}

/** The audit detail of a revocation: its sessions, and whether it only retried an unconfirmed removal. */
function sessionIds(sessions: readonly LivePeer[], retry: boolean): string {
  return JSON.stringify(retry ? { sessions: sessions.map((s) => s.id), retry: true } : { sessions: sessions.map((s) => s.id) });
}

const RETRY_DETAIL = JSON.stringify({ retry: true });

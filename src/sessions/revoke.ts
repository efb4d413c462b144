// Disconnect (by device or by session) and deactivate: the intent is committed first
// (sessions ENDING, device DEACTIVATED, audit row), then the peers are removed.
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
  if (!registry.devices.userExists(userId) || !registry.devices.get(userId, deviceId)) {
    return refuse(deps, audit, errors.userOrDeviceNotFound());
  }
  const active = registry.sessions.liveByDevice(userId, deviceId).filter((s) => s.status === 'ACTIVE');
  if (active.length === 0) return refuse(deps, audit, errors.noActiveSessionForDevice());
  registry.sessions.markEnding(
    active.map((s) => s.id),
    { now, reason, by: actor },
  );
  return { ending: active, auditId: registry.audit.record({ ...audit, outcome: 'pending', detail: sessionIds(active) }) };
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
    if (!session || session.status !== 'ACTIVE') return refuse(deps, audit, errors.noActiveSession());
    registry.sessions.markEnding([sessionId], { now, reason, by: actor });
    return { ending: [{ ...session, status: 'ENDING' as const }], auditId: registry.audit.record({ ...audit, outcome: 'pending' }) };
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
  if (!registry.devices.deactivate({ userId, deviceId, now, by: actor, reason })) {
    return refuse(deps, audit, errors.deviceNotFound());
  }
  const live = registry.sessions.liveByDevice(userId, deviceId);
  registry.sessions.markEnding(
    live.map((s) => s.id),
    { now, reason: reason ?? 'device deactivated', by: actor },
  );
  // Sessions already ENDING (an earlier removal that failed) are removed again with the rest.
  return { ending: live, auditId: registry.audit.record({ ...audit, outcome: 'pending', detail: sessionIds(live) }) };
}

function sessionIds(sessions: readonly LivePeer[]): string {
  return JSON.stringify({ sessions: sessions.map((s) => s.id) });
}

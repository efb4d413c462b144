// Disconnect (by device or by session) and deactivate: the intent is committed first
// (sessions ENDING, device DEACTIVATED, audit row), then the peers are removed.
import type { LivePeer } from '../registry/index.js';
import { errors } from './errors.js';
import { enforceRemoval, inTransaction, refuse, type Actor, type UseCaseDeps } from './context.js';
import { checkId, checkReason } from './validate.js';

export interface RevokeRequest {
  actor: Actor;
  userId: number;
  deviceId: number;
  reason?: string | null;
}

export async function disconnectDevice(deps: UseCaseDeps, request: RevokeRequest): Promise<true> {
  const { registry } = deps;
  const { actor, userId, deviceId } = request;
  checkId('userId', userId);
  checkId('deviceId', deviceId);
  const reason = checkReason(request.reason);
  const now = (deps.now ?? Date.now)();
  const audit = { at: now, actor, action: 'disconnect', userId, deviceId, reason };

  const { ending, auditId } = inTransaction(deps, () => {
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
  });
  await enforceRemoval(deps, ending, auditId);
  return true;
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

  const { ending, auditId } = inTransaction(deps, () => {
    const session = registry.sessions.get(sessionId);
    const audit = { at: now, actor, action: 'disconnect', sessionId, userId: session?.userId, deviceId: session?.deviceId, reason };
    if (!session || session.status !== 'ACTIVE') return refuse(deps, audit, errors.noActiveSession());
    registry.sessions.markEnding([sessionId], { now, reason, by: actor });
    return { ending: [{ ...session, status: 'ENDING' as const }], auditId: registry.audit.record({ ...audit, outcome: 'pending' }) };
  });
  await enforceRemoval(deps, ending, auditId);
  return true;
}

export async function deactivateDevice(deps: UseCaseDeps, request: RevokeRequest): Promise<true> {
  const { registry } = deps;
  const { actor, userId, deviceId } = request;
  checkId('userId', userId);
  checkId('deviceId', deviceId);
  const reason = checkReason(request.reason);
  const now = (deps.now ?? Date.now)();
  const audit = { at: now, actor, action: 'deactivate', userId, deviceId, reason };

  const { ending, auditId } = inTransaction(deps, () => {
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
  });
  await enforceRemoval(deps, ending, auditId);
  return true;
}

function sessionIds(sessions: readonly LivePeer[]): string {
  return JSON.stringify({ sessions: sessions.map((s) => s.id) });
}

// Activate a device (creating user and device on first sight) and connect one of its keys.
import type { Device, Session } from '../registry/index.js';
import { allowedIpsOf } from '../net.js';
import { isPublicKey } from '../wireguard/keys.js';
import type { Actor, UseCaseDeps } from './deps.js';
import { readDrainState } from './drain.js';
import { errors } from './errors.js';
import { inTransaction, refuse, type Refusal } from './transactions.js';
import { checkId } from './validate.js';

export function activateDevice(deps: UseCaseDeps, request: { actor: Actor; userId: number; deviceId: number }): Device {
  checkId('userId', request.userId);
  checkId('deviceId', request.deviceId);
  const now = (deps.now ?? Date.now)();
  return inTransaction(deps, () => stageActivation(deps, request, now)).device;
}

/**
 * Inside a transaction, with checked ids: makes the device ACTIVE (creating user and device on
 * first sight), or returns an audited refusal. `changed` is false when it already was: no audit row.
 */
export function stageActivation(
  deps: UseCaseDeps,
  request: { actor: Actor; userId: number; deviceId: number },
  now: number,
): { device: Device; changed: boolean } | Refusal {
  const { registry, maxDevicesPerUser } = deps;
  const { actor, userId, deviceId } = request;
  const audit = { at: now, actor, action: 'activate', userId, deviceId };
  const device = registry.devices.get(userId, deviceId);
  if (device?.status === 'ACTIVE') return { device, changed: false }; // idempotent: a retry changes nothing
  if (registry.devices.countActive(userId) >= maxDevicesPerUser) {
    return refuse(deps, audit, errors.deviceLimitReached(maxDevicesPerUser));
  }
  registry.devices.ensureUser(userId, now);
  if (device) registry.devices.activate({ userId, deviceId, now, by: actor });
  else registry.devices.insert({ userId, deviceId, now, by: actor });
  registry.audit.record({ ...audit, outcome: 'ok', detail: device ? 'reactivated' : 'created' });
  return { device: registry.devices.get(userId, deviceId)!, changed: true };
}

export async function connectDevice(
  deps: UseCaseDeps,
  request: { actor: Actor; userId: number; deviceId: number; publicKey: string },
): Promise<Session> {
  const { registry } = deps;
  const { actor, userId, deviceId, publicKey } = request;
  checkId('userId', userId);
  checkId('deviceId', deviceId);
  if (!isPublicKey(publicKey)) throw errors.invalidPublicKey();
  const now = (deps.now ?? Date.now)();
  const audit = { at: now, actor, action: 'connect', userId, deviceId };

  const started = inTransaction(deps, () => {
    const device = registry.devices.get(userId, deviceId);
    if (!device) return refuse(deps, audit, errors.userOrDeviceNotFound());
    if (device.status !== 'ACTIVE') return refuse(deps, audit, errors.deviceDeactivated());
    // A static peer's allowed-ips belong to the operator: a session must not overwrite them.
    if (deps.staticPeers?.has(publicKey)) return refuse(deps, audit, errors.publicKeyInUse());
    const holder = registry.sessions.liveByKey(publicKey);
    if (holder) {
      // A retry of the same connect gets the same session back instead of a second peer.
      if (holder.status === 'ACTIVE' && holder.userId === userId && holder.deviceId === deviceId) return { existing: holder };
      return refuse(deps, audit, errors.publicKeyInUse());
    }
    // Draining: existing sessions (and a retry's answer above) stay; new ones go to other nodes.
    if (readDrainState(registry)) return refuse(deps, audit, errors.nodeDraining());
    const session = registry.sessions.start({ userId, deviceId, publicKey, now, by: actor });
    if (!session) return refuse(deps, audit, errors.poolExhausted());
    const auditId = registry.audit.record({ ...audit, sessionId: session.id, outcome: 'pending' });
    return { session, auditId };
  });
  if ('existing' in started) return started.existing!;

  const { session, auditId } = started;
  try {
    await deps.peers.addPeers([{ publicKey, allowedIps: allowedIpsOf(session) }]);
  } catch (error) {
    deps.log.error({ err: error, sessionId: session.id }, 'adding the peer failed; the session is ended');
    // The peer may have been added after all (a timeout): ENDING lets the reconciler make sure it is gone.
    inTransaction(deps, () => {
      registry.sessions.markEnding([session.id], { now: (deps.now ?? Date.now)(), reason: 'connect failed', by: actor });
      registry.audit.settle(auditId, 'failed');
    });
    throw errors.peerAddFailed(error);
  }
  inTransaction(deps, () => registry.audit.settle(auditId, 'ok'));
  return registry.sessions.get(session.id)!;
}

// Activate a device (creating user and device on first sight) and connect one of its keys.
import { activatedRow, type Device, type LivePeer, type Session } from '../registry/index.js';
import { allowedIpsOf } from '../net.js';
import type { PeerChange } from '../wireguard/interface.js';
import { isPublicKey } from '../wireguard/keys.js';
import type { Actor, UseCaseDeps } from './deps.js';
import { readDrainState } from './drain.js';
import { errors } from './errors.js';
import { inGroupTransaction, refuse, type Refusal } from './transactions.js';
import { checkId } from './validate.js';

// Activation and connect commit in the group commit, like the revocations: a commit (and its
// fsync) per request capped them near 1,000 a second (bench rows 2c, 2d); shared, the same
// durability costs one fsync per turn of the loop. Each still answers only after its commit.
export async function activateDevice(deps: UseCaseDeps, request: { actor: Actor; userId: number; deviceId: number }): Promise<Device> {
  checkId('userId', request.userId);
  checkId('deviceId', request.deviceId);
  const now = (deps.now ?? Date.now)();
  return (await inGroupTransaction(deps, () => stageActivation(deps, request, now))).device;
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
  const active = registry.devices.countActive(userId);
  if (active >= maxDevicesPerUser) {
    return refuse(deps, audit, errors.deviceLimitReached(maxDevicesPerUser));
  }
  // A user with a device row exists already (rows reference it): only a first device creates one.
  if (!device && active === 0) registry.devices.ensureUser(userId, now);
  // The row as written, not read back (the store says what its statements set).
  let written: Device;
  if (device) {
    registry.devices.activate({ userId, deviceId, now, by: actor });
    written = activatedRow(device, now, actor);
  } else {
    written = registry.devices.insert({ userId, deviceId, now, by: actor });
  }
  registry.audit.record({ ...audit, outcome: 'ok', detail: device ? 'reactivated' : 'created' });
  return { device: written, changed: true };
}

/** The longest lifetimeS a connect may ask for: one year. */
const MAX_LIFETIME_S = 31_536_000;

export interface ConnectRequest {
  actor: Actor;
  userId: number;
  deviceId: number;
  publicKey: string;
  /** Base64, 32 bytes; sealed before it is stored, never returned, never in an argv or a log. */
  presharedKey?: string | null;
  /** The session ends as 'expired' this many seconds after it starts. */
  lifetimeS?: number | null;
}

export async function connectDevice(deps: UseCaseDeps, request: ConnectRequest): Promise<Session> {
  const { registry } = deps;
  const { actor, userId, deviceId, publicKey } = request;
  const presharedKey = request.presharedKey ?? undefined;
  const lifetimeS = request.lifetimeS ?? null;
  checkId('userId', userId);
  checkId('deviceId', deviceId);
  if (!isPublicKey(publicKey)) throw errors.invalidPublicKey();
  if (presharedKey !== undefined && !isPublicKey(presharedKey)) throw errors.invalidPresharedKey();
  if (presharedKey !== undefined && !deps.presharedKeys) throw errors.badInput('this node does not accept preshared keys');
  if (lifetimeS !== null && (!Number.isSafeInteger(lifetimeS) || lifetimeS < 1 || lifetimeS > MAX_LIFETIME_S)) {
    throw errors.badInput(`lifetimeS must be a whole number of seconds from 1 to ${MAX_LIFETIME_S}`);
  }
  const now = (deps.now ?? Date.now)();
  const audit = { at: now, actor, action: 'connect', userId, deviceId };
  // Sealed outside the transaction (crypto is not the registry's business); only the sealed form is stored.
  const presharedKeySealed = presharedKey === undefined ? null : deps.presharedKeys!.seal(presharedKey, publicKey);
  const expiresAt = lifetimeS === null ? null : now + lifetimeS * 1000;

  const started = await inGroupTransaction(deps, () => {
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
    const replaced = toReplace(registry.sessions.liveByDevice(userId, deviceId), deps.sessionsPerDevice ?? 0);
    const session = registry.sessions.start({ userId, deviceId, publicKey, now, by: actor, presharedKeySealed, expiresAt });
    if (!session) return refuse(deps, audit, errors.poolExhausted());
    // Intent first: the old sessions are ENDING before the call that swaps the keys.
    registry.sessions.markEnding(replaced.map((p) => p.id), { now, reason: 'replaced', by: actor });
    const detail = replaced.length > 0 ? JSON.stringify({ replaced: replaced.map((p) => p.id) }) : null;
    const auditId = registry.audit.record({ ...audit, sessionId: session.id, outcome: 'pending', detail });
    return { session, auditId, replaced };
  });
  if ('existing' in started) return started.existing!;

  const { session, auditId, replaced } = started;
  // One request, so one `wg set`: `peer OLD remove peer NEW allowed-ips …`. The device never has
  // both keys on the interface, and never neither.
  const changes: PeerChange[] = replaced.map((p) => ({ remove: p.publicKey }));
  changes.push({ add: { publicKey, allowedIps: allowedIpsOf(session), ...(presharedKey === undefined ? {} : { presharedKey }) } });
  try {
    await deps.peers.changePeers(changes);
  } catch (error) {
    deps.log.error({ err: error, sessionId: session.id }, 'adding the peer failed; the session is ended');
    // The peer may have been added after all (a timeout): ENDING lets the reconciler make sure it is gone.
    // The replaced sessions stay ENDING too: the reconciler finishes their removal.
    await inGroupTransaction(deps, () => {
      registry.sessions.markEnding([session.id], { now: (deps.now ?? Date.now)(), reason: 'connect failed', by: actor });
      registry.audit.settle(auditId, 'failed');
    });
    throw errors.peerAddFailed(error);
  }
  await inGroupTransaction(deps, () => {
    registry.sessions.markEnded(replaced.map((p) => p.id), (deps.now ?? Date.now)());
    registry.audit.settle(auditId, 'ok');
  });
  // The replaced keys' addresses are freed: their flows' conntrack entries go with them (background).
  if (replaced.length > 0) deps.conntrack?.forget(replaced);
  return registry.sessions.get(session.id)!;
}

/** The oldest ACTIVE sessions that must make room for one more under the per-device limit (0 = none). */
function toReplace(live: readonly LivePeer[], limit: number): LivePeer[] {
  if (limit <= 0) return [];
  const active = live.filter((p) => p.status === 'ACTIVE'); // by id: oldest first
  return active.slice(0, Math.max(0, active.length - limit + 1));
}

// What the soak knows for sure: only acknowledged answers make obligations. A 200 `true`
// revocation ends its sessions now; a 503 REMOVAL_PENDING records the intent (the sessions must
// end by convergence); an activation or a connect answered 200 stands until an answered change.
// A lost or busy answer drops the obligations it could have touched.
import type { Observation, SessionView } from './api.js';
import { deviceKey } from './api.js';
import type { WgMode } from './wg-fault.js';

type SessionMust = 'active' | 'revoked' | 'pending';
interface ModelSession { id: string; userId: number; deviceId: number; publicKey: string; address: string; must: SessionMust }

export interface Model {
  /** Device obligations by `${userId}:${deviceId}`; absent = none. */
  devices: Map<string, 'ACTIVE' | 'DEACTIVATED'>;
  /** Session obligations by session id; only sessions an answer told us about. */
  sessions: Map<string, ModelSession>;
  wgMode: WgMode;
  interfaceUp: boolean;
}

export function emptyModel(): Model {
  return { devices: new Map(), sessions: new Map(), wgMode: 'pass', interfaceUp: true };
}

export class InvariantViolation extends Error {}

const live = (s: SessionView) => s.status !== 'ENDED';

/** Every invariant that must hold after any step; with `converged`, the stronger ones too. */
export function checkInvariants(model: Model, obs: Observation, opts: { converged: boolean }): string[] {
  const problems: string[] = [];
  const byId = new Map(obs.sessions.map((s) => [s.id, s]));
  const liveByKey = new Map<string, SessionView>();
  const liveAddresses = new Map<string, string>();
  for (const s of obs.sessions.filter(live)) {
    const other = liveByKey.get(s.publicKey);
    if (other) problems.push(`two live sessions (${other.id}, ${s.id}) hold key ${s.publicKey}`);
    liveByKey.set(s.publicKey, s);
    const holder = liveAddresses.get(s.address);
    if (holder) problems.push(`address ${s.address} is held by live sessions ${holder} and ${s.id}`);
    liveAddresses.set(s.address, s.id);
    if (s.status === 'ACTIVE' && obs.devices.get(deviceKey(s.userId, s.deviceId)) !== 'ACTIVE') {
      problems.push(`session ${s.id} is ACTIVE on device ${deviceKey(s.userId, s.deviceId)}, which is ${obs.devices.get(deviceKey(s.userId, s.deviceId)) ?? 'unknown'}`);
    }
  }

  for (const [key, must] of model.devices) {
    const actual = obs.devices.get(key);
    if (actual !== must) problems.push(`acknowledged change lost: device ${key} must be ${must}, the registry says ${actual ?? 'nothing'}`);
  }
  for (const m of model.sessions.values()) {
    const actual = byId.get(m.id)?.status;
    const ok = m.must === 'active' ? actual === 'ACTIVE'
      : m.must === 'revoked' ? actual === 'ENDED'
      : opts.converged ? actual === 'ENDED' : actual === 'ENDING' || actual === 'ENDED';
    if (!ok) problems.push(`acknowledged change lost: session ${m.id} (${m.must}) is ${actual ?? 'missing'} in the registry`);
    if (m.must === 'revoked' && obs.peers?.has(m.publicKey) && !liveByKey.has(m.publicKey)) {
      problems.push(`session ${m.id} was revoked with \`true\`, yet its key ${m.publicKey} is on the interface`);
    }
  }

  for (const [key, allowedIps] of obs.peers ?? []) {
    const holder = liveByKey.get(key);
    if (!holder) {
      problems.push(`peer ${key} is on the interface, but no live session holds it`);
    } else if (allowedIps !== `${holder.address}/32`) {
      problems.push(`peer ${key} of session ${holder.id} has allowed-ips ${allowedIps}, not ${holder.address}/32`);
    }
  }

  if (opts.converged) {
    if (obs.peers === null) problems.push('the interface is missing after convergence');
    for (const s of obs.sessions) {
      if (s.status === 'ENDING') problems.push(`session ${s.id} is still ENDING after convergence`);
      if (s.status === 'ACTIVE' && !obs.peers?.has(s.publicKey)) problems.push(`session ${s.id} is ACTIVE, but its peer ${s.publicKey} is not on the interface`);
    }
  }
  return problems;
}

/** The model's view of one device for choosing the expected answers: the registry as last observed. */
export function deviceState(obs: Observation, userId: number, deviceId: number) {
  const status = obs.devices.get(deviceKey(userId, deviceId));
  const userKnown = [...obs.devices.keys()].some((k) => k.startsWith(`${userId}:`));
  const sessions = obs.sessions.filter((s) => s.userId === userId && s.deviceId === deviceId && live(s));
  return { status, userKnown, active: sessions.filter((s) => s.status === 'ACTIVE'), live: sessions };
}

/** An answer that could have changed the device's state but did not say how: drop its obligations. */
export function forgetDevice(model: Model, userId: number, deviceId: number): void {
  model.devices.delete(deviceKey(userId, deviceId));
  for (const [id, s] of model.sessions) {
    if (s.userId === userId && s.deviceId === deviceId && s.must === 'active') model.sessions.delete(id);
  }
}

export function markSessions(model: Model, sessions: SessionView[], must: SessionMust): void {
  for (const s of sessions) {
    const prior = model.sessions.get(s.id)?.must;
    // Obligations only tighten: a session once revoked stays revoked.
    if (prior === 'revoked' || (prior === 'pending' && must === 'active')) continue;
    model.sessions.set(s.id, { id: s.id, userId: s.userId, deviceId: s.deviceId, publicKey: s.publicKey, address: s.address, must });
  }
}

// The pure half of a reconcile pass: given what the interface holds (the dump) and what the
// registry holds (live sessions), decide every repair. No I/O, so every direction is unit-testable.
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { allowedIpsOf, canonicalAllowedIp } from '../net.js';
import type { HandshakeUpdate, LiveActivity } from '../registry/index.js';
import type { PeerState } from '../wireguard/dump.js';

export interface ReconcilePlan {
  /** Keys on the interface that no live session owns and that are not static. */
  unknownKeys: string[];
  /** ENDING sessions: their keys are removed whether or not the dump shows them (a timed-out add may land late). */
  finishing: LiveActivity[];
  /** ACTIVE sessions with no handshake for longer than the idle timeout: to end. */
  idle: LiveActivity[];
  /** ACTIVE sessions past their expiry (expiresAt): to end, before any idle check. */
  expired: LiveActivity[];
  /** ACTIVE sessions whose peer is missing, or present with other allowed-ips. */
  restore: LiveActivity[];
  /** Only the rows whose values changed. */
  handshakes: HandshakeUpdate[];
}

export interface PlanOptions {
  staticPeers: ReadonlySet<string>;
  now: number;
  /** 0 = sessions never idle out. */
  idleTimeoutS: number;
  /** The handshake time (ms) to record for what wg reports; identity unless the clock jumped (clock.ts). */
  translateHandshake?: (sessionId: number, rawMs: number) => number;
}

/**
 * The peer routes exactly what the session should (its /32, and its /128 when dual-stack): a
 * peer missing one, or holding another, is restored. wg may list them in another order or spelling.
 */
function holdsAllowedIps(peer: PeerState, session: { address: number; address6: string | null }): boolean {
  const wanted = allowedIpsOf(session);
  if (peer.allowedIps === wanted) return true;
  const set = (text: string) => text.split(',').map((entry) => canonicalAllowedIp(entry.trim()) ?? entry).sort().join(',');
  return set(peer.allowedIps) === set(wanted);
}

/** The plan in one go: what tests use to check the planner with data. */
export function planReconcile(peers: readonly PeerState[], live: readonly LiveActivity[], options: PlanOptions): ReconcilePlan {
  const steps = planInSlices(peers, live, options);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** The same plan, yielding to the event loop between slices (a full interface is 65,000 peers). */
export async function planReconcileYielding(peers: readonly PeerState[], live: readonly LiveActivity[], options: PlanOptions): Promise<ReconcilePlan> {
  const steps = planInSlices(peers, live, options);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    await yieldToLoop();
  }
}

const ITEMS_PER_SLICE = 2000;

/** The planner as a generator: it pauses (yields) every ITEMS_PER_SLICE items. */
function* planInSlices(peers: readonly PeerState[], live: readonly LiveActivity[], options: PlanOptions): Generator<void, ReconcilePlan> {
  let n = 0;
  const onInterface = new Map<string, PeerState>();
  for (const peer of peers) {
    onInterface.set(peer.publicKey, peer);
    if (++n % ITEMS_PER_SLICE === 0) yield;
  }
  const liveKeys = new Set<string>();
  for (const session of live) {
    liveKeys.add(session.publicKey);
    if (++n % ITEMS_PER_SLICE === 0) yield;
  }
  const plan: ReconcilePlan = { unknownKeys: [], finishing: [], idle: [], expired: [], restore: [], handshakes: [] };

  for (const peer of peers) {
    if (!liveKeys.has(peer.publicKey) && !options.staticPeers.has(peer.publicKey)) plan.unknownKeys.push(peer.publicKey);
    if (++n % ITEMS_PER_SLICE === 0) yield;
  }
  const idleBefore = options.idleTimeoutS > 0 ? options.now - options.idleTimeoutS * 1000 : null;
  for (const session of live) {
    if (++n % ITEMS_PER_SLICE === 0) yield;
    if (session.status === 'ENDING') {
      plan.finishing.push(session);
      continue;
    }
    const peer = onInterface.get(session.publicKey);
    const update = peer ? handshakeUpdate(session, peer, options.translateHandshake) : missingPeerUpdate(session);
    if (update) plan.handshakes.push(update);
    const lastHandshakeAt = update?.lastHandshakeAt ?? session.lastHandshakeAt;
    // Expiry is on the wall clock; the reconciler moves expiresAt along with a clock jump (clock.ts).
    // A session that never handshook counts its idleness from its start.
    if (session.expiresAt != null && session.expiresAt <= options.now) {
      plan.expired.push(session);
    } else if (idleBefore !== null && (lastHandshakeAt ?? session.startedAt) < idleBefore) {
      plan.idle.push(session);
    } else if (!peer || !holdsAllowedIps(peer, session)) {
      plan.restore.push(session);
    }
  }
  return plan;
}

/**
 * The row's new values when the wire says something new; null when nothing changed. Totals grow
 * by what the interface counted since the last reading; a reading below the last one means the
 * peer was removed and added again (its counters started over), so all of it is new.
 */
function handshakeUpdate(session: LiveActivity, peer: PeerState, translate?: (sessionId: number, rawMs: number) => number): HandshakeUpdate | null {
  // 0 = no handshake since the peer was (re)added: keep the last one we saw rather than forget it.
  const raw = peer.latestHandshake * 1000;
  const lastHandshakeAt = peer.latestHandshake > 0 ? (translate ? translate(session.id, raw) : raw) : session.lastHandshakeAt;
  if (lastHandshakeAt === session.lastHandshakeAt && peer.rxBytes === session.rxSeen && peer.txBytes === session.txSeen) {
    return null;
  }
  const totals = {
    id: session.id,
    rxBytes: session.rxBytes + countedSince(peer.rxBytes, session.rxSeen),
    txBytes: session.txBytes + countedSince(peer.txBytes, session.txSeen),
    rxSeen: peer.rxBytes,
    txSeen: peer.txBytes,
  };
  // The handshake only when it moved: an update without it leaves that column's indexes alone.
  return lastHandshakeAt === session.lastHandshakeAt ? totals : { ...totals, lastHandshakeAt };
}

function countedSince(reading: number, seen: number): number {
  return reading >= seen ? reading - seen : reading;
}

/** The peer is not on the interface: whatever peer comes back counts from 0, on top of the totals kept. */
function missingPeerUpdate(session: LiveActivity): HandshakeUpdate | null {
  if (session.rxSeen === 0 && session.txSeen === 0) return null;
  return { id: session.id, rxBytes: session.rxBytes, txBytes: session.txBytes, rxSeen: 0, txSeen: 0 };
}

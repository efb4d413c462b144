// The pure half of a reconcile pass: given what the interface holds (the dump) and what the
// registry holds (live sessions), decide every repair. No I/O, so every direction is unit-testable.
import { formatIpv4 } from '../net.js';
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

export function allowedIpsOf(session: { address: number }): string {
  return `${formatIpv4(session.address)}/32`;
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
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

const ITEMS_PER_SLICE = 5000;

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
    const update = peer ? handshakeUpdate(session, peer, options.translateHandshake) : null;
    if (update) plan.handshakes.push(update);
    const lastHandshakeAt = update?.lastHandshakeAt ?? session.lastHandshakeAt;
    // Expiry is on the wall clock; the reconciler moves expiresAt along with a clock jump (clock.ts).
    // A session that never handshook counts its idleness from its start.
    if (session.expiresAt != null && session.expiresAt <= options.now) {
      plan.expired.push(session);
    } else if (idleBefore !== null && (lastHandshakeAt ?? session.startedAt) < idleBefore) {
      plan.idle.push(session);
    } else if (!peer || peer.allowedIps !== allowedIpsOf(session)) {
      plan.restore.push(session);
    }
  }
  return plan;
}

/** The row's new values when the wire says something new; null when nothing changed. */
function handshakeUpdate(session: LiveActivity, peer: PeerState, translate?: (sessionId: number, rawMs: number) => number): HandshakeUpdate | null {
  // 0 = no handshake since the peer was (re)added: keep the last one we saw rather than forget it.
  const raw = peer.latestHandshake * 1000;
  const lastHandshakeAt = peer.latestHandshake > 0 ? (translate ? translate(session.id, raw) : raw) : session.lastHandshakeAt;
  if (lastHandshakeAt === session.lastHandshakeAt && peer.rxBytes === session.rxBytes && peer.txBytes === session.txBytes) {
    return null;
  }
  return { id: session.id, lastHandshakeAt, rxBytes: peer.rxBytes, txBytes: peer.txBytes };
}

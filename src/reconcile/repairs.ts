// The effectful half of a pass: carry out a plan against the interface and the registry. The
// registry changes that are intents (idle sessions → ENDING) commit BEFORE any command; a
// repair is audited (actor `reconciler`) only once its command succeeded.
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { RECONCILER_ACTOR } from '../actors.js';
import type { LiveActivity, Registry } from '../registry/index.js';
import type { ConntrackFlusher } from '../wireguard/conntrack.js';
import { onlineSince } from '../registry/online.js';
import type { PresharedKeySealer } from '../preshared-keys.js';
import type { PeerSpec } from '../wireguard/interface.js';
import type { PeerChanges } from '../wireguard/peer-changes.js';
import { allowedIpsOf } from '../net.js';
import type { ReconcilePlan } from './plan.js';
import { recordHandshakesInSlices, recordInSlices } from './slices.js';


/** What a repair needs of a session: a live session as read by the pass, or its key's owner read again. */
type SessionRef = Pick<LiveActivity, 'id' | 'userId' | 'deviceId' | 'publicKey' | 'address' | 'address6'>;

export interface RepairDeps {
  registry: Registry;
  peers: PeerChanges;
  now: () => number;
  idleTimeoutS: number;
  /** Who removes the plan's unknown peers, for the audit log: the reconciler, or the operator who purged them. */
  unknownRemoval?: { actor: string; action: string };
  /** Revoked addresses' conntrack entries (WGNODE_CONNTRACK); absent = off. */
  conntrack?: ConntrackFlusher;
  /** The online window: with it, each pass writes the feed's SESSION_ONLINE / SESSION_OFFLINE rows. */
  onlineWindowS?: number;
  /** Opens the stored preshared keys of peers being restored; without it they come back without one. */
  presharedKeys?: PresharedKeySealer;
}

export interface RepairCounts {
  removedUnknownPeers: number;
  finishedIntents: number;
  restoredPeers: number;
  endedIdleSessions: number;
  endedExpiredSessions: number;
  handshakesRecorded: number;
}

/** What a pass's repairs left undone: null when everything held. */
export interface RepairOutcome {
  /** The first enforcement failure (a command, or the registry recording a repair), after trying both directions. */
  error: unknown;
  /** Writing handshake times and counters failed (disk full, read-only, busy): enforcement went ahead without it. */
  bookkeepingError: unknown;
}

/** Runs every repair of the plan. Bookkeeping (handshakes, counters) comes last and never stops enforcement. */
export async function applyPlan(deps: RepairDeps, plan: ReconcilePlan, counts: RepairCounts): Promise<RepairOutcome> {
  const { registry } = deps;
  const unknownRemoval = deps.unknownRemoval ?? { actor: RECONCILER_ACTOR, action: 'remove-unknown-peer' };
  let failure: unknown = null;
  let endIntents: EndIntent[] = [];
  try {
    endIntents = recordIntents(deps, plan);
  } catch (error) {
    // No intent, no command: idle and expired sessions wait for the next pass; the other repairs go ahead.
    plan.idle = [];
    plan.expired = [];
    failure = error;
  }

  // Checked again right before the command, in the same tick as handing it to PeerChanges: a
  // mutation that commits after this check queues its own `wg set` behind ours (the coalescer
  // keeps order), so its change lands last and wins. A connect may have claimed an unknown key,
  // or a key of an ENDING (or idle) session this pass planned to remove, once that session ended.
  plan.unknownKeys = plan.unknownKeys.filter((key) => !registry.sessions.liveByKey(key));
  const ending = [...plan.finishing, ...plan.idle, ...plan.expired].filter((s) => !heldByAnother(registry, s));
  const removeKeys = [...plan.unknownKeys, ...ending.map((s) => s.publicKey)];
  const reowned: SessionRef[] = [];
  if (removeKeys.length > 0) {
    try {
      await deps.peers.removePeers(removeKeys);
      const at = deps.now();
      // A mutation may have finished some of them meanwhile: count and audit only what this pass moved.
      await recordInSlices(registry, plan.finishing, (slice) => {
        const finished = slice.filter((s) => registry.sessions.markEnded([s.id], at) === 1);
        for (const s of finished) audit(deps, 'finish-removal', s, 'ok');
        counts.finishedIntents += finished.length;
      });
      await recordInSlices(registry, endIntents, (slice) => {
        registry.sessions.markEnded(slice.map((s) => s.id), at);
        for (const s of slice) registry.audit.settle(s.auditId, 'ok');
      });
      counts.endedIdleSessions = plan.idle.length;
      counts.endedExpiredSessions = plan.expired.length;
      await recordInSlices(registry, plan.unknownKeys, (slice) => {
        for (const key of slice) {
          registry.audit.record({ at, ...unknownRemoval, outcome: 'ok', detail: JSON.stringify({ publicKey: key }) });
          registry.changes.append({ at, kind: 'PEER_REMOVED', actor: unknownRemoval.actor, detail: JSON.stringify({ publicKey: key }) });
          // A connect may have claimed this key after we read the registry: its peer must come back.
          const owner = registry.sessions.liveByKey(key);
          if (owner?.status === 'ACTIVE') reowned.push(owner);
        }
      });
      counts.removedUnknownPeers = plan.unknownKeys.length;
      // Their peers are gone: so go their flows' conntrack entries, in the background.
      deps.conntrack?.forget(ending);
    } catch (error) {
      failure ??= error;
    }
  }

  // As above: a disconnect that committed since the registry was read must not see its peer come back.
  await yieldToLoop();
  const restore = [...plan.restore, ...reowned].filter((s) => isStillActive(registry, s));
  if (restore.length > 0) {
    try {
      const specs = restore.map((s) => peerOf(deps, s));
      // Reading the owners and keys above, then starting `wg set` (~10 ms from a process this size):
      // two short waits for a request instead of one long one.
      await yieldToLoop();
      await deps.peers.addPeers(specs);
      // A disconnect may have ended a session while we put its peer back: take those out again
      // (and if the key now belongs to a newer session, give it that session's address).
      const stale: string[] = [];
      const readd: SessionRef[] = [];
      const restored = restore.filter((s) => {
        if (isStillActive(registry, s)) return true;
        const owner = registry.sessions.liveByKey(s.publicKey);
        if (owner?.status === 'ACTIVE') readd.push(owner);
        else stale.push(s.publicKey);
        return false;
      });
      if (stale.length > 0) await deps.peers.removePeers(stale);
      if (readd.length > 0) await deps.peers.addPeers(readd.map((s) => peerOf(deps, s)));
      await recordInSlices(registry, restored, (slice) => {
        for (const s of slice) {
          audit(deps, 'restore-peer', s, 'ok');
          registry.changes.append({ at: deps.now(), kind: 'PEER_RESTORED', userId: s.userId, deviceId: s.deviceId, sessionId: s.id, actor: RECONCILER_ACTOR });
        }
      });
      counts.restoredPeers = restored.length;
    } catch (error) {
      failure ??= error;
    }
  }

  // Bookkeeping last, and on its own: a registry that cannot take these writes has already seen
  // every removal and restore above carried out.
  try {
    await recordHandshakesInSlices(registry, plan.handshakes);
    counts.handshakesRecorded = plan.handshakes.length;
    // The feed's online/offline rows follow the handshakes just written (and windows that passed).
    if (deps.onlineWindowS !== undefined) {
      const at = deps.now();
      registry.transaction(() => registry.sessions.sweepPresence(onlineSince(at, deps.onlineWindowS!), at));
    }
    return { error: failure, bookkeepingError: null };
  } catch (error) {
    return { error: failure, bookkeepingError: error };
  }
}

/** The session's key now belongs to another live session (it ended and the key connected again): not ours to remove. */
function heldByAnother(registry: Registry, session: LiveActivity): boolean {
  const owner = registry.sessions.liveByKey(session.publicKey);
  return owner !== undefined && owner.id !== session.id;
}

/** The peer to put back: with its preshared key when the session has one (opened only here, never logged). */
function peerOf(deps: RepairDeps, session: SessionRef): PeerSpec {
  const peer: PeerSpec = { publicKey: session.publicKey, allowedIps: allowedIpsOf(session) };
  const sealed = deps.presharedKeys ? deps.registry.sessions.sealedPresharedKey(session.id) : null;
  if (sealed !== null) peer.presharedKey = deps.presharedKeys!.open(sealed, session.publicKey);
  return peer;
}

/** An idle or expired session this pass moved to ENDING, and its pending audit row. */
interface EndIntent {
  id: number;
  auditId: number;
}

/** One transaction before any command: idle and expired sessions → ENDING with a pending audit row (handshakes are written apart, last). */
function recordIntents(deps: RepairDeps, plan: ReconcilePlan): EndIntent[] {
  const { registry } = deps;
  return registry.transaction(() => {
    const idleReason = `idle for more than ${deps.idleTimeoutS} s`;
    const expired = new Set(registry.sessions.markEnding(plan.expired.map((s) => s.id), { now: deps.now(), reason: 'expired', by: RECONCILER_ACTOR }));
    const idle = new Set(registry.sessions.markEnding(plan.idle.map((s) => s.id), { now: deps.now(), reason: idleReason, by: RECONCILER_ACTOR }));
    // A session a mutation ended meanwhile is that mutation's to finish, not ours.
    plan.expired = plan.expired.filter((s) => expired.has(s.id));
    plan.idle = plan.idle.filter((s) => idle.has(s.id));
    return [
      ...plan.expired.map((s) => ({ id: s.id, auditId: audit(deps, 'end-expired', s, 'pending', 'expired') })),
      ...plan.idle.map((s) => ({ id: s.id, auditId: audit(deps, 'end-idle', s, 'pending', idleReason) })),
    ];
  });
}

function isStillActive(registry: Registry, session: SessionRef): boolean {
  const owner = registry.sessions.liveByKey(session.publicKey);
  return owner?.status === 'ACTIVE' && owner.id === session.id;
}

function audit(deps: RepairDeps, action: string, session: SessionRef, outcome: string, reason: string | null = null): number {
  return deps.registry.audit.record({
    at: deps.now(),
    actor: RECONCILER_ACTOR,
    action,
    userId: session.userId,
    deviceId: session.deviceId,
    sessionId: session.id,
    reason,
    outcome,
  });
}

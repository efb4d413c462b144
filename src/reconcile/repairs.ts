// The effectful half of a pass: carry out a plan against the interface and the registry. The
// registry changes that are intents (idle sessions → ENDING) commit BEFORE any command; a
// repair is audited (actor `reconciler`) only once its command succeeded.
import type { LiveActivity, Registry } from '../registry/index.js';
import type { PeerChanges } from '../wireguard/peer-changes.js';
import { allowedIpsOf, type ReconcilePlan } from './plan.js';
import { recordHandshakesInSlices } from './slices.js';

export const RECONCILER_ACTOR = 'reconciler';

export interface RepairDeps {
  registry: Registry;
  peers: PeerChanges;
  now: () => number;
  idleTimeoutS: number;
  /** Who removes the plan's unknown peers, for the audit log: the reconciler, or the operator who purged them. */
  unknownRemoval?: { actor: string; action: string };
}

export interface RepairCounts {
  removedUnknownPeers: number;
  finishedIntents: number;
  restoredPeers: number;
  endedIdleSessions: number;
  handshakesRecorded: number;
}

/** Runs every repair of the plan; throws the first failure after trying both directions. */
export async function applyPlan(deps: RepairDeps, plan: ReconcilePlan, counts: RepairCounts): Promise<void> {
  const { registry } = deps;
  const unknownRemoval = deps.unknownRemoval ?? { actor: RECONCILER_ACTOR, action: 'remove-unknown-peer' };
  const idleAudit = recordIntents(deps, plan);
  await recordHandshakesInSlices(registry, plan.handshakes);
  counts.handshakesRecorded = plan.handshakes.length;

  let failure: unknown = null;
  // Checked again right before the command, in the same tick as handing it to PeerChanges: a
  // mutation that commits after this check queues its own `wg set` behind ours (the coalescer
  // keeps order), so its change lands last and wins. A connect may have claimed an unknown key.
  plan.unknownKeys = plan.unknownKeys.filter((key) => !registry.sessions.liveByKey(key));
  const ending = [...plan.finishing, ...plan.idle];
  const removeKeys = [...plan.unknownKeys, ...ending.map((s) => s.publicKey)];
  const reowned: LiveActivity[] = [];
  if (removeKeys.length > 0) {
    try {
      await deps.peers.removePeers(removeKeys);
      registry.transaction(() => {
        const at = deps.now();
        // A mutation may have finished some of them meanwhile: count and audit only what this pass moved.
        const finished = plan.finishing.filter((s) => registry.sessions.markEnded([s.id], at) === 1);
        for (const s of finished) audit(deps, 'finish-removal', s, 'ok');
        counts.finishedIntents = finished.length;
        registry.sessions.markEnded(plan.idle.map((s) => s.id), at);
        for (const id of idleAudit) registry.audit.settle(id, 'ok');
        counts.endedIdleSessions = plan.idle.length;
        for (const key of plan.unknownKeys) {
          registry.audit.record({ at, ...unknownRemoval, outcome: 'ok', detail: JSON.stringify({ publicKey: key }) });
          // A connect may have claimed this key after we read the registry: its peer must come back.
          const owner = registry.sessions.liveByKey(key);
          if (owner?.status === 'ACTIVE') reowned.push({ ...owner, status: 'ACTIVE' });
        }
        counts.removedUnknownPeers = plan.unknownKeys.length;
      });
    } catch (error) {
      failure = error;
    }
  }

  // As above: a disconnect that committed since the registry was read must not see its peer come back.
  const restore = [...plan.restore, ...reowned].filter((s) => isStillActive(registry, s));
  if (restore.length > 0) {
    try {
      await deps.peers.addPeers(restore.map((s) => ({ publicKey: s.publicKey, allowedIps: allowedIpsOf(s) })));
      // A disconnect may have ended a session while we put its peer back: take those out again
      // (and if the key now belongs to a newer session, give it that session's address).
      const stale: string[] = [];
      const readd: LiveActivity[] = [];
      const restored = restore.filter((s) => {
        if (isStillActive(registry, s)) return true;
        const owner = registry.sessions.liveByKey(s.publicKey);
        if (owner?.status === 'ACTIVE') readd.push({ ...owner, status: 'ACTIVE' });
        else stale.push(s.publicKey);
        return false;
      });
      if (stale.length > 0) await deps.peers.removePeers(stale);
      if (readd.length > 0) await deps.peers.addPeers(readd.map((s) => ({ publicKey: s.publicKey, allowedIps: allowedIpsOf(s) })));
      registry.transaction(() => {
        for (const s of restored) audit(deps, 'restore-peer', s, 'ok');
      });
      counts.restoredPeers = restored.length;
    } catch (error) {
      failure ??= error;
    }
  }
  if (failure !== null) throw failure;
}

/** One transaction before any command: idle sessions → ENDING with a pending audit row (handshakes are written apart, in slices). */
function recordIntents(deps: RepairDeps, plan: ReconcilePlan): number[] {
  const { registry } = deps;
  return registry.transaction(() => {
    const reason = `idle for more than ${deps.idleTimeoutS} s`;
    const moved = new Set(registry.sessions.markEnding(plan.idle.map((s) => s.id), { now: deps.now(), reason, by: RECONCILER_ACTOR }));
    // A session a mutation ended meanwhile is that mutation's to finish, not ours.
    plan.idle = plan.idle.filter((s) => moved.has(s.id));
    return plan.idle.map((s) => audit(deps, 'end-idle', s, 'pending', reason));
  });
}

function isStillActive(registry: Registry, session: LiveActivity): boolean {
  const owner = registry.sessions.liveByKey(session.publicKey);
  return owner?.status === 'ACTIVE' && owner.id === session.id;
}

function audit(deps: RepairDeps, action: string, session: LiveActivity, outcome: string, reason: string | null = null): number {
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

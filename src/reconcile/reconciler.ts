// The reconciler: makes the interface and the registry agree, at start-up and on an interval.
// A pass reads the dump FIRST and the registry after it: a connect commits its session before it
// adds its peer, so every peer in the dump has its row visible by then (the other order would
// make a fresh peer look unknown and remove it). Passes are single-flight.
import type { Logger } from '../logger.js';
import type { PresharedKeySealer } from '../preshared-keys.js';
import type { LiveActivity, Registry } from '../registry/index.js';
import type { ConntrackFlusher } from '../wireguard/conntrack.js';
import type { PeerChanges } from '../wireguard/peer-changes.js';
import type { WireGuardInterface } from '../wireguard/interface.js';
import { createClockWatch, createHandshakeShifts } from './clock.js';
import { planReconcileYielding } from './plan.js';
import { readLiveActivity } from './slices.js';
import { applyPlan, type RepairCounts } from './repairs.js';
import { emptyReport, repairCount, REPORT_STATE_KEY, type ReconcileReport } from './report.js';
import { DEFAULT_MAX_UNKNOWN_REMOVALS, decideUnknownPeers, type OperatorOrder, type UnknownPeersDecision } from './ownership.js';
import { RECONCILER_ACTOR } from '../actors.js';
import type { PeerState } from '../wireguard/dump.js';

export interface ReconcilerOptions {
  registry: Registry;
  /** Its name is recorded when the registry takes the interface over. */
  wireguard: Pick<WireGuardInterface, 'dump' | 'name'>;
  /** Adds and removals go through the agent's PeerChanges (the coalescer), never around it. */
  peers: PeerChanges;
  log: Logger;
  staticPeers: ReadonlySet<string>;
  /** The most unknown peers one pass removes on its own (WGNODE_MAX_UNKNOWN_REMOVALS); null = no limit. */
  maxUnknownRemovals?: number | null;
  intervalMs: number;
  onlineWindowS: number;
  /** 0 = never. */
  idleTimeoutS: number;
  /** The wall clock: timestamps, and handshake ages (wg reports handshakes on it). */
  now?: () => number;
  /**
   * The monotonic clock (ms) that durations and clock-jump detection use. Defaults to
   * performance.now, or to `now` when a test injects a wall clock alone (then no jump is seen).
   */
  monotonicNow?: () => number;
  /** Opens stored preshared keys when a peer is restored. */
  presharedKeys?: PresharedKeySealer;
  /** Called after every pass (metrics: duration, repairs by kind). */
  onReport?: (report: ReconcileReport) => void;
  /** Deletes the conntrack entries of sessions a pass ended (WGNODE_CONNTRACK); absent = off. */
  conntrack?: ConntrackFlusher;
}

interface InterfaceInfo {
  publicKey: string;
  listenPort: number;
}

export interface Reconciler {
  /**
   * Runs a pass that starts after this call (joins the queued one if a pass is in flight). Never
   * rejects. With an order, that pass adopts or purges the unknown peers (the operator confirmed).
   */
  runOnce(options?: { order?: OperatorOrder }): Promise<ReconcileReport>;
  /** First pass now, then one every intervalMs; resolves with the first pass's report. */
  start(): Promise<ReconcileReport>;
  /** No more passes; resolves once the one in flight (if any) is done. */
  stop(): Promise<void>;
  /** The last pass (this process's, else the one persisted by the previous run); null before any. */
  lastReport(): ReconcileReport | null;
  /** When this process last started a successful pass (wall-clock ms, derived from its monotonic age); null before one. */
  lastSuccessAt(): number | null;
  /** The interface's public key and listen port from the last dump (never its private key). */
  interfaceInfo(): InterfaceInfo | null;
  readonly intervalMs: number;
}

export function createReconciler(options: ReconcilerOptions): Reconciler {
  const { registry, log } = options;
  const now = options.now ?? Date.now;
  const monotonic = options.monotonicNow ?? (options.now ? options.now : () => performance.now());
  const clockWatch = createClockWatch();
  const shifts = createHandshakeShifts();
  // After a wall-clock jump, no session ends as idle until one idle timeout has passed on the monotonic clock.
  let holdIdleUntil = -Infinity;
  const maxUnknownRemovals = options.maxUnknownRemovals === undefined ? DEFAULT_MAX_UNKNOWN_REMOVALS : options.maxUnknownRemovals;
  // The wall time of the previous pass: sessions started before it had their expiry set on the old clock.
  let previousPassAt = -Infinity;
  let last: ReconcileReport | null = readPersisted(registry);
  let lastSuccess: number | null = null;
  let info: InterfaceInfo | null = null;
  let running: Promise<ReconcileReport> | null = null;
  let queued: Promise<ReconcileReport> | null = null;
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  /** The operator's order for the next pass to start (read synchronously when it starts). */
  let pendingOrder: OperatorOrder | null = null;
  let lastHeld = { unmanaged: 0, massHeld: 0 };

  async function pass(): Promise<ReconcileReport> {
    const order = pendingOrder;
    pendingOrder = null;
    const startedAt = now();
    const startedMono = monotonic();
    const report = emptyReport(startedAt);
    const counts: RepairCounts = report;
    const jump = clockWatch.observe(startedAt, startedMono);
    if (jump !== 0) {
      report.clockJumpMs = jump;
      holdIdleUntil = startedMono + options.idleTimeoutS * 1000;
      log.warn({ jumpMs: jump, idleHoldS: options.idleTimeoutS }, 'the wall clock jumped; handshake times are rebased and no session ends as idle for one idle timeout');
    }
    const idleTimeoutS = startedMono < holdIdleUntil ? 0 : options.idleTimeoutS;
    const startedBeforeJump = previousPassAt;
    previousPassAt = startedAt;
    try {
      let dump: Awaited<ReturnType<typeof options.wireguard.dump>>;
      try {
        dump = await options.wireguard.dump();
      } catch (error) {
        recordInterface(false, describe(error));
        throw error;
      }
      recordInterface(true);
      info = { publicKey: dump.publicKey, listenPort: dump.listenPort };
      report.peersOnInterface = dump.peers.length;
      const iface = { name: options.wireguard.name, publicKey: dump.publicKey };
      const owned = registry.ownership.owns(iface);
      // Kept peers (adopted by the operator) are left alone like static ones.
      const staticPeers = new Set([...options.staticPeers, ...registry.ownership.keptKeys()]);
      // Read and planned in slices, yielding between them: a full interface must not stall requests.
      const live = await readLiveActivity(registry);
      // Ages stay what they were across the jump: "online" does not flip for everyone at once.
      if (jump !== 0) {
        shifts.rebase(live, jump);
        shiftExpiries(live, jump, startedBeforeJump);
      }
      const plan = await planReconcileYielding(dump.peers, live, { staticPeers, now: startedAt, idleTimeoutS, translateHandshake: (id, ms) => shifts.translate(id, ms) });
      // A connect may have claimed a key since the registry was read: it is not unknown any more.
      plan.unknownKeys = plan.unknownKeys.filter((key) => !registry.sessions.liveByKey(key));
      const decision = decideUnknownPeers({ unknownKeys: plan.unknownKeys, owned, maxUnknownRemovals, order });
      plan.unknownKeys = decision.remove;
      // Known before any command: a pass that fails later still reports what it held back.
      report.unmanagedPeers = decision.unmanaged;
      report.massRemovalHeld = decision.massHeld;
      report.interfaceOwned = owned;
      const unknownRemoval = order?.kind === 'purge' ? { actor: order.actor, action: 'purge-unmanaged-peer' } : undefined;
      const outcome = await applyPlan({ registry, peers: options.peers, now, idleTimeoutS, unknownRemoval, conntrack: options.conntrack, onlineWindowS: options.onlineWindowS, presharedKeys: options.presharedKeys }, plan, counts);
      if (outcome.bookkeepingError !== null) {
        report.bookkeepingError = describe(outcome.bookkeepingError);
        log.warn({ err: outcome.bookkeepingError }, 'recording handshakes and counters failed; enforcement went ahead');
      }
      if (outcome.error !== null) {
        report.ok = false;
        report.error = describe(outcome.error);
      } else {
        // Only once every repair held: an adopt or purge whose pass failed settles nothing.
        settleOwnership(decision, dump.peers, iface, owned, order !== null, report);
      }
    } catch (error) {
      report.ok = false;
      report.error = describe(error);
    }
    report.durationMs = Math.max(0, Math.round(monotonic() - startedMono));
    finish(report, startedMono);
    return report;
  }

  /** Adopted peers become kept, and the registry takes the interface over when the decision says so: one transaction, audited. */
  function settleOwnership(
    decision: UnknownPeersDecision,
    peers: readonly PeerState[],
    iface: { name: string; publicKey: string },
    owned: boolean,
    ordered: boolean,
    report: ReconcileReport,
  ): void {
    const takeOver = decision.takeOverBy !== null && (ordered || !owned);
    if (decision.keep.length > 0 || takeOver) {
      const allowedIps = new Map(peers.map((p) => [p.publicKey, p.allowedIps]));
      registry.transaction(() => {
        const at = now();
        const actor = decision.takeOverBy ?? RECONCILER_ACTOR;
        // A key a connect claimed meanwhile is that session's peer now, not a kept one.
        const keep = decision.keep.filter((key) => !registry.sessions.liveByKey(key)).map((key) => ({ publicKey: key, allowedIps: allowedIps.get(key) ?? '' }));
        registry.ownership.keep(keep, at, actor);
        for (const p of keep) registry.audit.record({ at, actor, action: 'adopt-peer', outcome: 'ok', detail: JSON.stringify(p) });
        report.adoptedPeers = keep.length;
        if (takeOver) {
          const owner = registry.ownership.takeOver(iface, at, actor);
          registry.audit.record({ at, actor, action: 'take-over-interface', outcome: 'ok', detail: JSON.stringify(owner) });
          log.info({ interface: iface.name, by: actor, adoptedPeers: keep.length }, 'this registry now manages the interface: unknown peers are removed from here on');
        }
      });
    }
    report.interfaceOwned = registry.ownership.owns(iface);
  }

  /** Says so when the held peers change (not every pass: the interval is short). */
  function logHeld(report: ReconcileReport): void {
    const held = { unmanaged: report.unmanagedPeers, massHeld: report.massRemovalHeld };
    if (held.unmanaged > 0 && held.unmanaged !== lastHeld.unmanaged) {
      log.warn(
        { interface: options.wireguard.name, unmanagedPeers: held.unmanaged },
        `interface carries ${held.unmanaged} peers this registry does not know and it does not manage the interface yet: nothing removed; adopt or remove them: wgnode peers adopt | wgnode peers purge --yes`,
      );
    }
    if (held.massHeld > 0 && held.massHeld !== lastHeld.massHeld) {
      log.error(
        { interface: options.wireguard.name, massRemovalHeld: held.massHeld, maxUnknownRemovals },
        `a reconcile pass would remove ${held.massHeld} unknown peers at once (more than WGNODE_MAX_UNKNOWN_REMOVALS=${maxUnknownRemovals}): nothing removed; remove them: wgnode peers purge --yes, or keep them: wgnode peers adopt`,
      );
    }
    lastHeld = held;
  }

  /** The feed's INTERFACE_LOST / INTERFACE_BACK: a row when the dump's answer differs from the last one recorded. */
  function recordInterface(up: boolean, reason: string | null = null): void {
    try {
      registry.transaction(() => registry.changes.recordInterface(up, now(), reason));
    } catch (error) {
      log.warn({ err: error }, 'could not record the interface state in the change feed');
    }
  }

  /**
   * Expiry is a lifetime, not a date: after a jump, the expiry of every session started on the old
   * clock moves with it, in the registry (expiresAt stays true on the new clock) and in this pass's rows.
   */
  function shiftExpiries(live: LiveActivity[], jump: number, startedBefore: number): void {
    const moved = live.filter((s) => s.expiresAt != null && s.startedAt <= startedBefore);
    if (moved.length === 0) return;
    try {
      registry.transaction(() => registry.sessions.shiftExpiry(moved.map((s) => s.id), jump));
      for (const s of moved) s.expiresAt = s.expiresAt! + jump;
    } catch (error) {
      // Unmoved, they could end early: this pass leaves them be, the next tries the move again.
      for (const s of moved) s.expiresAt = null;
      log.warn({ err: error }, 'could not move session expiries after the clock jump');
    }
  }

  function finish(report: ReconcileReport, startedMono: number): void {
    last = report;
    if (report.ok) lastSuccess = startedMono;
    if (report.ok) logHeld(report);
    try {
      registry.state.putJson(REPORT_STATE_KEY, report);
    } catch (error) {
      log.warn({ err: error }, 'could not persist the reconcile report');
    }
    if (!report.ok) log.warn({ reconcile: report }, 'reconcile pass failed; the registry keeps the intent and the next pass retries');
    else if (repairCount(report) > 0) log.info({ reconcile: report }, 'reconcile pass repaired drift');
    try {
      options.onReport?.(report);
    } catch (error) {
      log.error({ err: error }, 'reconcile onReport hook failed');
    }
  }

  function runOnce(runOptions: { order?: OperatorOrder } = {}): Promise<ReconcileReport> {
    // Read by the next pass to START: the one in flight began before this order.
    if (runOptions.order) pendingOrder = runOptions.order;
    if (!running) {
      running = pass().finally(() => (running = null));
      return running;
    }
    // A pass in flight may have read the registry before the caller's change: queue one more.
    queued ??= running.then(() => {
      queued = null;
      return runOnce();
    });
    return queued;
  }

  let lastStart = 0;
  // Each start() begins a generation; a pass of an older one (stopped meanwhile) schedules nothing.
  let generation = 0;
  function schedule(of: number): void {
    if (stopped || of !== generation) return;
    // Fixed rate: the next pass starts one interval after the last one STARTED (never two at
    // once), so a drift waits at most one interval plus a pass.
    const delay = Math.max(0, lastStart + options.intervalMs - performance.now());
    timer = setTimeout(() => void tick(of), delay);
    // The HTTP server keeps the process alive; the timer alone must not.
    timer.unref();
  }

  function tick(of: number): Promise<ReconcileReport> {
    lastStart = performance.now();
    const report = runOnce();
    void report.finally(() => schedule(of));
    return report;
  }

  return {
    runOnce,
    start() {
      if (!stopped && generation > 0) return runOnce(); // already running
      stopped = false;
      return tick(++generation);
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      while (running || queued) await (queued ?? running);
    },
    lastReport: () => last,
    // Kept on the monotonic clock and told as wall-clock time: its age (readiness) survives a clock jump.
    lastSuccessAt: () => (lastSuccess === null ? null : now() - (monotonic() - lastSuccess)),
    interfaceInfo: () => info,
    intervalMs: options.intervalMs,
  };
}

function readPersisted(registry: Registry): ReconcileReport | null {
  try {
    const stored = registry.state.getJson<ReconcileReport>(REPORT_STATE_KEY);
    // A report an older wgnode stored lacks the newer fields: their zero values fill in.
    return stored && { ...emptyReport(0), ...stored };
  } catch {
    return null;
  }
}

/** A short reason for the report and /readyz: the error's message, never a command's output. */
function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]!.slice(0, 300);
}

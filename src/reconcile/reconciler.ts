// The reconciler: makes the interface and the registry agree, at start-up and on an interval.
// A pass reads the dump FIRST and the registry after it: a connect commits its session before it
// adds its peer, so every peer in the dump has its row visible by then (the other order would
// make a fresh peer look unknown and remove it). Passes are single-flight.
import type { Logger } from '../logger.js';
import type { PresharedKeySealer } from '../preshared-keys.js';
import type { LiveActivity, Registry } from '../registry/index.js';
import type { PeerChanges } from '../wireguard/peer-changes.js';
import type { WireGuardInterface } from '../wireguard/interface.js';
import { createClockWatch, createHandshakeShifts } from './clock.js';
import { planReconcileYielding } from './plan.js';
import { readLiveActivity } from './slices.js';
import { applyPlan, type RepairCounts } from './repairs.js';
import { emptyReport, repairCount, REPORT_STATE_KEY, type ReconcileReport } from './report.js';

export interface ReconcilerOptions {
  registry: Registry;
  wireguard: Pick<WireGuardInterface, 'dump'>;
  /** Adds and removals go through the agent's PeerChanges (the coalescer), never around it. */
  peers: PeerChanges;
  log: Logger;
  staticPeers: ReadonlySet<string>;
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
}

interface InterfaceInfo {
  publicKey: string;
  listenPort: number;
}

export interface Reconciler {
  /** Runs a pass that starts after this call (joins the queued one if a pass is in flight). Never rejects. */
  runOnce(): Promise<ReconcileReport>;
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
  // The wall time of the previous pass: sessions started before it had their expiry set on the old clock.
  let previousPassAt = -Infinity;
  let last: ReconcileReport | null = readPersisted(registry);
  let lastSuccess: number | null = null;
  let info: InterfaceInfo | null = null;
  let running: Promise<ReconcileReport> | null = null;
  let queued: Promise<ReconcileReport> | null = null;
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;

  async function pass(): Promise<ReconcileReport> {
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
      const dump = await options.wireguard.dump();
      info = { publicKey: dump.publicKey, listenPort: dump.listenPort };
      report.peersOnInterface = dump.peers.length;
      // Read and planned in slices, yielding between them: a full interface must not stall requests.
      const live = await readLiveActivity(registry);
      // Ages stay what they were across the jump: "online" does not flip for everyone at once.
      if (jump !== 0) {
        shifts.rebase(live, jump);
        shiftExpiries(live, jump, startedBeforeJump);
      }
      const plan = await planReconcileYielding(dump.peers, live, { staticPeers: options.staticPeers, now: startedAt, idleTimeoutS, translateHandshake: (id, ms) => shifts.translate(id, ms) });
      const outcome = await applyPlan({ registry, peers: options.peers, now, idleTimeoutS, presharedKeys: options.presharedKeys }, plan, counts);
      if (outcome.bookkeepingError !== null) {
        report.bookkeepingError = describe(outcome.bookkeepingError);
        log.warn({ err: outcome.bookkeepingError }, 'recording handshakes and counters failed; enforcement went ahead');
      }
      if (outcome.error !== null) {
        report.ok = false;
        report.error = describe(outcome.error);
      }
    } catch (error) {
      report.ok = false;
      report.error = describe(error);
    }
    report.durationMs = Math.max(0, Math.round(monotonic() - startedMono));
    finish(report, startedMono);
    return report;
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

  function runOnce(): Promise<ReconcileReport> {
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
    return registry.state.getJson<ReconcileReport>(REPORT_STATE_KEY);
  } catch {
    return null;
  }
}

/** A short reason for the report and /readyz: the error's message, never a command's output. */
function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]!.slice(0, 300);
}

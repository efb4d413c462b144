// The agent's Prometheus metrics, on a Registry of its own (never prom-client's global one), so
// several agents in one process (tests) each expose exactly their own numbers.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ReconcileReport } from '../reconcile/report.js';

/** Cheap indexed counts, read when Prometheus scrapes (never on the request path). */
export interface SessionCounts {
  active(): number;
  ending(): number;
  online(): number;
}

// Requests are fast (µs to ms); wg/ip spawns cost ms; a reconcile over 65k peers ≈ 1 s.
const REQUEST_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const COMMAND_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const RECONCILE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const CLAUSE_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000];

const REPAIR_KINDS = ['removed_unknown_peer', 'finished_intent', 'restored_peer', 'ended_idle_session'] as const;

/** The change feed, read when scraped: its last seq and the SSE streams open. */
export interface FeedCounts {
  latestSeq(): number;
  streams(): number;
}

export function createMetrics(options: { sessions: SessionCounts; draining?: () => boolean; feed?: FeedCounts; defaultMetrics?: boolean }) {
  const registry = new Registry();
  // The standard process_* and nodejs_* names, unprefixed: the common dashboards look for them.
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const requestDuration = new Histogram({
    name: 'wgnode_request_duration_seconds',
    help: 'HTTP requests by operation (GraphQL root field, else route) and outcome (ok or the error code); _count is the request count.',
    labelNames: ['operation', 'outcome'] as const,
    buckets: REQUEST_BUCKETS,
    registers,
  });
  const commandDuration = new Histogram({
    name: 'wgnode_command_duration_seconds',
    help: 'wg and ip command durations, by program and subcommand (failed ones included).',
    labelNames: ['program', 'subcommand'] as const,
    buckets: COMMAND_BUCKETS,
    registers,
  });
  const commandFailures = new Counter({
    name: 'wgnode_command_failures_total',
    help: 'wg and ip commands that failed, by program, subcommand and reason (exit, timeout, not_found, error).',
    labelNames: ['program', 'subcommand', 'reason'] as const,
    registers,
  });
  const peersRemovedPerCommand = new Histogram({
    name: 'wgnode_wg_set_peers_removed',
    help: 'peer removals carried by one `wg set` call (coalescing packs concurrent removals into one call).',
    buckets: CLAUSE_BUCKETS,
    registers,
  });
  const reconcileDuration = new Histogram({
    name: 'wgnode_reconcile_duration_seconds',
    help: 'reconcile passes, by outcome (ok or error).',
    labelNames: ['outcome'] as const,
    buckets: RECONCILE_BUCKETS,
    registers,
  });
  const reconcileRepairs = new Counter({
    name: 'wgnode_reconcile_repairs_total',
    help: 'drift the reconciler repaired, by kind.',
    labelNames: ['kind'] as const,
    registers,
  });
  const lastReconcileSuccess = new Gauge({
    name: 'wgnode_reconcile_last_success_timestamp_seconds',
    help: 'when the last successful reconcile pass started (alert when it grows old).',
    registers,
  });
  const peersOnInterface = new Gauge({
    name: 'wgnode_peers_on_interface',
    help: 'peers on the WireGuard interface, as counted by the last successful reconcile pass.',
    registers,
  });
  const unmanagedPeers = new Gauge({
    name: 'wgnode_unmanaged_peers',
    help: 'unknown peers left on the interface because this registry does not manage it yet (wgnode peers adopt | purge --yes).',
    registers,
  });
  const massRemovalHeld = new Gauge({
    name: 'wgnode_mass_removal_held_peers',
    help: 'unknown peers the last pass did not remove because they were more than WGNODE_MAX_UNKNOWN_REMOVALS (alert when > 0).',
    registers,
  });
  for (const kind of REPAIR_KINDS) reconcileRepairs.inc({ kind }, 0);
  const conntrackDeletions = new Counter({
    name: 'wgnode_conntrack_deletions_total',
    help: 'revoked addresses whose conntrack entries were deleted (ok) or could not be (failed; they expire on their own).',
    labelNames: ['outcome'] as const,
    registers,
  });
  conntrackDeletions.inc({ outcome: 'ok' }, 0);
  conntrackDeletions.inc({ outcome: 'failed' }, 0);

  // Computed when scraped (collect), from indexed counts: nothing on the request path.
  const { sessions } = options;
  const scrapedGauge = (name: string, help: string, read: () => number) =>
    new Gauge({ name, help, registers, collect() { this.set(read()); } });
  scrapedGauge('wgnode_sessions_active', 'ACTIVE sessions (their peers must be on the interface).', () => sessions.active());
  scrapedGauge('wgnode_sessions_ending', 'ENDING sessions: removals recorded but not yet confirmed.', () => sessions.ending());
  scrapedGauge('wgnode_sessions_online', 'ACTIVE sessions with a handshake inside the online window.', () => sessions.online());
  const draining = options.draining;
  if (draining) scrapedGauge('wgnode_draining', '1 while the node is draining (refuses new connects), else 0.', () => (draining() ? 1 : 0));
  const { feed } = options;
  if (feed) {
    scrapedGauge('wgnode_changes_last_seq', 'The change feed\'s last seq: it grows by one per state change (rate() of it is changes per second).', () => feed.latestSeq());
    scrapedGauge('wgnode_change_streams', 'SSE change streams open (GET /changes/stream).', () => feed.streams());
  }

  // Label children cached per (operation, outcome): the request path then allocates nothing for labels.
  const requestChildren = new Map<string, Map<string, Histogram.Internal<'operation' | 'outcome'>>>();

  return {
    registry,
    observeRequest(operation: string, outcome: string, seconds: number): void {
      let byOutcome = requestChildren.get(operation);
      if (!byOutcome) requestChildren.set(operation, (byOutcome = new Map<string, Histogram.Internal<'operation' | 'outcome'>>()));
      let child = byOutcome.get(outcome);
      if (!child) byOutcome.set(outcome, (child = requestDuration.labels(operation, outcome)));
      child.observe(seconds);
    },
    observeCommand(program: string, subcommand: string, seconds: number, failure: string | null): void {
      commandDuration.labels(program, subcommand).observe(seconds);
      if (failure) commandFailures.labels(program, subcommand, failure).inc();
    },
    observeConntrack(outcome: 'ok' | 'failed'): void {
      conntrackDeletions.labels(outcome).inc();
    },
    observePeersRemoved(count: number): void {
      peersRemovedPerCommand.observe(count);
    },
    observeReconcile(report: ReconcileReport): void {
      reconcileDuration.labels(report.ok ? 'ok' : 'error').observe(report.durationMs / 1000);
      reconcileRepairs.labels('removed_unknown_peer').inc(report.removedUnknownPeers);
      reconcileRepairs.labels('finished_intent').inc(report.finishedIntents);
      reconcileRepairs.labels('restored_peer').inc(report.restoredPeers);
      reconcileRepairs.labels('ended_idle_session').inc(report.endedIdleSessions);
      reconcileRepairs.labels('ended_expired_session').inc(report.endedExpiredSessions);
      if (report.ok) {
        // A failed pass may not have read the dump: keep the last known count.
        peersOnInterface.set(report.peersOnInterface);
        unmanagedPeers.set(report.unmanagedPeers);
        massRemovalHeld.set(report.massRemovalHeld);
        lastReconcileSuccess.set(Date.parse(report.at) / 1000);
      }
    },
    /** Prometheus text exposition. */
    render: (): Promise<string> => registry.metrics(),
    contentType: registry.contentType,
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

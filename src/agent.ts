// Composition: config → registry → wireguard → use cases → GraphQL → app. No I/O beyond opening
// the registry, so tests compose the real thing around a fake runner and an in-memory database.
// The agent owns its lifecycle: start() brings up the listeners and the reconciler in order, and
// stop() takes everything down in the reverse order, whoever calls it (server, tests, benchmark).
import { createApp } from './app.js';
import type { Authenticator } from './auth/principal.js';
import { createAuthenticator, LOCAL_PRINCIPAL, type StaticToken } from './auth/index.js';
import type { Config } from './config.js';
import { createGraphQL, type GraphQLContext, type NodeInfoSource } from './graphql/index.js';
import { createRateLimiter } from './rate-limit.js';
import { createBulkModule } from './graphql/modules/bulk.js';
import { createSyncModule } from './graphql/modules/sync.js';
import { createCoreModule } from './graphql/modules/core.js';
import { createReconcileModule } from './graphql/modules/reconcile.js';
import { createServerInfoModule } from './graphql/modules/server-info.js';
import { createAuditModule } from './graphql/modules/audit.js';
import { createUnknownPeersModule } from './graphql/modules/unknown-peers.js';
import { createDrainModule } from './graphql/modules/drain.js';
import { createChangesModule } from './graphql/modules/changes.js';
import { mountChangeStream, type ChangeStreamOptions, type ChangeStreams } from './feed/stream.js';
import { mountGraphiQL } from './ide/graphiql.js';
import { createMetrics, instrumentRunner, listenForMetrics, mountMetrics, observeRequests, type MetricsListener, type SessionCounts } from './metrics/index.js';
import { createReadiness } from './health.js';
import { createIdempotencyGuard, startIdempotencyPruning } from './idempotency/guard.js';
import { listenHttp, type HttpListener } from './http/listen.js';
import { listenOnLocalSocket, type LocalSocket } from './local-socket.js';
import { createLogger, type Logger } from './logger.js';
import { formatIpv4 } from './net.js';
import { createPresharedKeySealer, loadNodeKey } from './preshared-keys.js';
import { createReconciler } from './reconcile/reconciler.js';
import type { ReconcileReport } from './reconcile/report.js';
import { openRegistry, type Registry } from './registry/index.js';
import { onlineSince } from './registry/online.js';
import { createHistoryRetention } from './registry/retention.js';
import { createDrainer, createSessionService, readDrainState } from './sessions/index.js';
import { VERSION } from './version.js';
import { createPeerCoalescer } from './wireguard/coalescer.js';
import { createSetPeers, createWireGuardInterface } from './wireguard/interface.js';
import { createConntrackFlusher } from './wireguard/conntrack.js';
import { createAgentRunners } from './wireguard/agent-runners.js';
import type { CommandRunner } from './wireguard/runner.js';

export interface AgentOverrides {
  log?: Logger;
  runner?: CommandRunner;
  now?: () => number;
  authenticate?: Authenticator;
  /** Static tokens beside the configured credentials (tests). */
  tokens?: readonly StaticToken[];
  /** Sees every reconcile report (metrics). */
  onReconcileReport?: (report: ReconcileReport) => void;
  /** The SSE change stream's timings (tests): keep-alive and slow-consumer timeout. */
  changeStream?: Pick<ChangeStreamOptions, 'keepAliveMs' | 'writeTimeoutMs' | 'maxStreams'>;
}

/** What start() brought up. */
export interface Listening {
  /** The HTTP port actually bound (useful with WGNODE_PORT=0). */
  port: number;
  /** The operator's unix socket (null with WGNODE_SOCKET=off). */
  socket: LocalSocket | null;
  /** Credential-free /metrics on 127.0.0.1 (null unless WGNODE_METRICS_PORT is set). */
  metricsListener: MetricsListener | null;
}

export interface StartOptions {
  /** false: no start-up pass and no timers (reconcile, retention); they run only when asked (tests, the benchmark). */
  reconcile?: boolean;
}

export function createAgent(config: Config, overrides: AgentOverrides = {}) {
  const log = overrides.log ?? createLogger({ level: config.logLevel });
  const registry = openRegistry({
    path: config.dbPath,
    pool: config.pool,
    interfaceAddress: config.interfaceAddress,
    pool6: config.pool6,
    addressQuarantineMs: config.addressQuarantineS * 1000,
    now: overrides.now,
  });
  // WAL checkpoints (and their fsyncs) in a worker thread, not at the end of a request's commit.
  const checkpointer = registry.startWalCheckpointer({ log });
  let changeStreams: ChangeStreams | null = null;
  const metrics = createMetrics({
    sessions: registrySessionCounts(registry, config.onlineWindowS, overrides.now),
    draining: () => readDrainState(registry) !== null,
    feed: { latestSeq: () => registry.changes.latestSeq(), streams: () => changeStreams?.count() ?? 0 },
  });
  const runners = createAgentRunners({ timeoutMs: config.commandTimeoutMs, injected: overrides.runner });
  const runner = instrumentRunner(runners.changes, metrics);
  const interfaceOptions = { runner, name: config.interfaceName, wgBin: config.wgBin, ipBin: config.ipBin, netns: config.netns };
  // Each command goes through exactly one of the two wrappers (the decorator keeps no state).
  const wireguard = createWireGuardInterface({ ...interfaceOptions, runner: instrumentRunner(runners.reads, metrics) });
  // Every peer change (use cases, reconciler) goes through one coalescer: concurrent changes share `wg set` calls.
  const peers = createPeerCoalescer(createSetPeers(interfaceOptions));
  // Seals the preshared keys the registry stores (created 0600 beside the database on first start).
  const presharedKeys = createPresharedKeySealer(loadNodeKey(config.pskKeyFile));
  // NAT nodes: revoked addresses' conntrack entries go with their peers. Not through the
  // instrumented runner: conntrack exits 1 when nothing matched, which is no failure (own metric).
  const conntrack = config.conntrack
    ? createConntrackFlusher({ runner: runners.changes, bin: config.conntrackBin, ipBin: config.ipBin, netns: config.netns, log, onOutcome: (o) => metrics.observeConntrack(o) })
    : undefined;
  const useCaseDeps = {
    registry,
    peers,
    log,
    now: overrides.now,
    maxDevicesPerUser: config.maxDevicesPerUser,
    staticPeers: config.staticPeers,
    sessionsPerDevice: config.sessionsPerDevice,
    presharedKeys,
    conntrack,
  };
  const service = createSessionService(useCaseDeps);
  // A drain's deadline: ends the remaining sessions in batches (start()/stop()).
  const drainer = createDrainer(useCaseDeps);

  // Makes the interface and the registry agree; started by start() (tests call runOnce).
  const reconciler = createReconciler({
    registry,
    wireguard,
    peers,
    log,
    staticPeers: config.staticPeers,
    maxUnknownRemovals: config.maxUnknownRemovals,
    intervalMs: config.reconcileIntervalMs,
    onlineWindowS: config.onlineWindowS,
    idleTimeoutS: config.idleTimeoutS,
    presharedKeys,
    now: overrides.now,
    conntrack,
    onReport: (report) => {
      metrics.observeReconcile(report);
      overrides.onReconcileReport?.(report);
    },
  });
  // Old ENDED sessions and audit rows, pruned in small batches in the background (start()/stop()).
  const retention = createHistoryRetention({
    registry,
    log,
    retentionDays: config.historyRetentionDays,
    changesRetention: config.changesRetention,
    now: overrides.now,
  });
  const node: NodeInfoSource = {
    interface: config.interfaceName,
    address: formatIpv4(config.interfaceAddress),
    addressPool: config.pool.text,
    address6: config.interfaceAddress6,
    addressPool6: config.pool6?.text ?? null,
    endpoint: config.publicEndpoint,
    // The interface's public key and port, as the last reconcile pass read them.
    current: () => reconciler.interfaceInfo(),
  };
  // Answers to mutations sent with an Idempotency-Key, kept in the registry for replay.
  const idempotency = createIdempotencyGuard({ registry, ttlS: config.idempotencyTtlS, log, now: overrides.now });
  const graphql = createGraphQL({
    service,
    log,
    limits: { introspection: config.introspection },
    limitMutation: createMutationLimit(config, overrides.now),
    idempotency,
    modules: [
      createCoreModule({ service, registry, node, onlineWindowS: config.onlineWindowS, now: overrides.now }),
      createServerInfoModule({ version: VERSION, startedAt: (overrides.now ?? Date.now)() }),
      createBulkModule({ service }),
      createSyncModule({ service }),
      createReconcileModule({ reconciler }),
      createAuditModule({ registry }),
      createUnknownPeersModule({ reconciler, registry, now: overrides.now }),
      createDrainModule({ service, registry }),
      createChangesModule({ registry, onlineWindowS: config.onlineWindowS, now: overrides.now }),
    ],
  });
  const authenticate = overrides.authenticate ?? createAuthenticator({ config, log, extraTokens: overrides.tokens });
  const app = createApp({
    handleGraphQL: graphql.handle,
    authenticate,
    maxBodyBytes: config.maxBodyBytes,
    readiness: createReadiness({ registry, wireguard, reconcile: reconciler, draining: () => readDrainState(registry), now: overrides.now }),
    log,
    observe: observeRequests({ log, metrics }),
    routes: (routes) => {
      mountMetrics(routes, { authenticate, metrics });
      // The change feed live over SSE (read scope), beside /graphql.
      changeStreams = mountChangeStream(routes, { registry, authenticate, log, ...overrides.changeStream });
      if (config.graphiql) mountGraphiQL(routes);
    },
  });

  let http: HttpListener | null = null;
  let socket: LocalSocket | null = null;
  let metricsListener: MetricsListener | null = null;
  let idempotencyPruning: ReturnType<typeof startIdempotencyPruning> | null = null;
  let starting: Promise<Listening> | null = null;
  let stopping: Promise<void> | null = null;

  async function start(options: StartOptions = {}): Promise<Listening> {
    if (stopping) throw new Error('this agent was stopped; compose a new one');
    try {
      runners.helper?.prepare();
      if (options.reconcile !== false) {
        // The first reconcile pass runs before we serve: revocations a crash left half done are
        // finished first, and the interface's key is known. Then one pass every interval.
        const first = await reconciler.start();
        if (!first.ok) log.warn({ error: first.error }, `interface ${config.interfaceName}: the start-up reconcile pass failed; retrying every interval`);
      }
      http = await listenHttp({ fetch: app.fetch, host: config.host, port: config.port, tls: config.tls, log });
      log.info({ host: config.host, port: http.port, tls: http.tls, interface: config.interfaceName, db: config.dbPath }, 'wgnode listening');
      if (config.socketPath) socket = await listenOnLocalSocket({ path: config.socketPath, app, registry, log, now: overrides.now });
      if (config.metricsPort) metricsListener = await listenForMetrics({ port: config.metricsPort, metrics, log });
      if (options.reconcile !== false) {
        retention.start();
        drainer.start();
      }
      idempotencyPruning = startIdempotencyPruning(idempotency, { intervalMs: Math.min(60_000, config.idempotencyTtlS * 1000), log });
      return { port: http.port, socket, metricsListener };
    } catch (error) {
      // e.g. the port is taken, or another wgnode answers on the socket: stop what already started, then fail.
      await stop();
      throw error;
    }
  }

  async function shutDown(): Promise<void> {
    // Stop accepting requests (in-flight ones finish), then the background work, then the
    // registry they all write to.
    await metricsListener?.close();
    // Open change streams would hold the HTTP server open: end them (clients resume from their cursor).
    changeStreams?.closeAll();
    await http?.close();
    await socket?.close();
    await reconciler.stop();
    await retention.stop();
    await drainer.stop();
    await idempotencyPruning?.stop();
    // Peer changes already queued still go out: their intents are in the registry either way.
    await peers.idle();
    await conntrack?.idle();
    runners.helper?.close();
    checkpointer?.stop();
    // The next start (or a backup copy of the file) finds everything in the database file itself.
    if (config.dbPath !== ':memory:') {
      try {
        if (!registry.checkpointTruncate()) log.warn('WAL checkpoint at shutdown was partial: a reader held it; SQLite finishes it on the next open');
      } catch (error) {
        log.warn({ err: error }, 'WAL checkpoint at shutdown failed; SQLite finishes it on the next open');
      }
    }
    registry.close();
  }

  /** Takes everything down in the reverse order of start(); safe to call more than once, or without start(). */
  function stop(): Promise<void> {
    stopping ??= shutDown();
    return stopping;
  }

  return {
    config,
    log,
    registry,
    wireguard,
    peers,
    service,
    reconciler,
    retention,
    drainer,
    conntrack,
    metrics,
    idempotency,
    app,
    /** The composed GraphQL schema (scripts/print-schema.ts publishes it as schema.graphql). */
    schema: graphql.schema,
    /** The open SSE change streams (count, closeAll). */
    changeStreams: () => changeStreams,
    /** Reads the interface's public key and listen port: one reconcile pass (kept for callers that only want the info). */
    async refreshInterfaceInfo(): Promise<void> {
      await reconciler.runOnce();
    },
    /** The first reconcile pass, then the HTTP port, the operator socket, the metrics listener and the reconcile timer. Once. */
    start(options?: StartOptions): Promise<Listening> {
      starting ??= start(options);
      return starting;
    },
    stop,
  };
}

export type ComposedAgent = ReturnType<typeof createAgent>;

/** One token bucket per credential; the operator's local socket is never limited. */
function createMutationLimit(config: Config, now?: () => number): (context: GraphQLContext) => number {
  const limiter = createRateLimiter({ ...config.rateLimit, now });
  return (context) => (context.actor === LOCAL_PRINCIPAL.name ? 0 : limiter.take(context.actor));
}

/** Session gauges, read at scrape time from the registry's indexed counts (never a dump). */
function registrySessionCounts(registry: Pick<Registry, 'sessions'>, onlineWindowS: number, now: () => number = Date.now): SessionCounts {
  const { sessions } = registry;
  return {
    active: () => sessions.count({ status: 'ACTIVE' }),
    ending: () => sessions.count({ status: 'ENDING' }),
    online: () => sessions.count({ online: { value: true, since: onlineSince(now(), onlineWindowS) } }),
  };
}

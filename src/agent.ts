// Composition: config → registry → wireguard → use cases → GraphQL → app. No I/O beyond opening
// the registry, so tests compose the real thing around a fake runner and an in-memory database.
import { createApp } from './app.js';
import type { Authenticator } from './auth/principal.js';
import { createAuthenticator, type StaticToken } from './auth/index.js';
import type { Config } from './config.js';
import { createGraphQL, type GraphQLContext, type NodeInfoSource } from './graphql/index.js';
import { LOCAL_PRINCIPAL } from './auth/local.js';
import { createRateLimiter } from './rate-limit.js';
import { createBulkModule } from './graphql/modules/bulk.js';
import { createReconcileModule } from './graphql/modules/reconcile.js';
import { createServerInfoModule } from './graphql/modules/server-info.js';
import { createAuditModule } from './graphql/modules/audit.js';
import { mountGraphiQL } from './ide/graphiql.js';
import { createMetrics, instrumentRunner, mountMetrics, observeRequests, registrySessionCounts } from './metrics/index.js';
import { createReadiness } from './health.js';
import { createLogger, type Logger } from './logger.js';
import { formatIpv4 } from './net.js';
import { createReconciler } from './reconcile/reconciler.js';
import type { ReconcileReport } from './reconcile/report.js';
import { openRegistry } from './registry/index.js';
import { createSessionService } from './sessions/index.js';
import { VERSION } from './version.js';
import { createPeerCoalescer } from './wireguard/coalescer.js';
import { createSetPeers, createWireGuardInterface } from './wireguard/interface.js';
import { createExecaRunner, type CommandRunner } from './wireguard/runner.js';

export interface AgentOverrides {
  log?: Logger;
  runner?: CommandRunner;
  now?: () => number;
  authenticate?: Authenticator;
  /** Static tokens beside the configured credentials (tests). */
  tokens?: readonly StaticToken[];
  /** Sees every reconcile report (metrics). */
  onReconcileReport?: (report: ReconcileReport) => void;
}

export function createAgent(config: Config, overrides: AgentOverrides = {}) {
  const log = overrides.log ?? createLogger({ level: config.logLevel });
  const registry = openRegistry({ path: config.dbPath, pool: config.pool, interfaceAddress: config.interfaceAddress });
  // WAL checkpoints (and their fsyncs) in a worker thread, not at the end of a request's commit.
  const checkpointer = registry.startWalCheckpointer({ log });
  const metrics = createMetrics({ sessions: registrySessionCounts(registry, config.onlineWindowS, overrides.now) });
  const runner = instrumentRunner(overrides.runner ?? createExecaRunner({ timeoutMs: config.commandTimeoutMs }), metrics);
  const interfaceOptions = { runner, name: config.interfaceName, wgBin: config.wgBin, ipBin: config.ipBin, netns: config.netns };
  const wireguard = createWireGuardInterface(interfaceOptions);
  // Every peer change (use cases, reconciler) goes through one coalescer: concurrent changes share `wg set` calls.
  const peers = createPeerCoalescer(createSetPeers(interfaceOptions));
  const service = createSessionService({
    registry,
    peers,
    log,
    now: overrides.now,
    maxDevicesPerUser: config.maxDevicesPerUser,
    staticPeers: config.staticPeers,
  });

  // Makes the interface and the registry agree; started by index.ts (tests call runOnce).
  const reconciler = createReconciler({
    registry,
    wireguard,
    peers,
    log,
    staticPeers: config.staticPeers,
    intervalMs: config.reconcileIntervalMs,
    onlineWindowS: config.onlineWindowS,
    idleTimeoutS: config.idleTimeoutS,
    now: overrides.now,
    onReport: (report) => {
      metrics.observeReconcile(report);
      overrides.onReconcileReport?.(report);
    },
  });
  const node: NodeInfoSource = {
    interface: config.interfaceName,
    address: formatIpv4(config.interfaceAddress),
    addressPool: config.pool.text,
    endpoint: config.publicEndpoint,
    // The interface's public key and port, as the last reconcile pass read them.
    current: () => reconciler.interfaceInfo(),
  };
  const graphql = createGraphQL({
    service,
    registry,
    log,
    node,
    onlineWindowS: config.onlineWindowS,
    now: overrides.now,
    limits: { introspection: config.introspection },
    limitMutation: createMutationLimit(config, overrides.now),
    modules: [
      createServerInfoModule({ version: VERSION, startedAt: (overrides.now ?? Date.now)() }),
      createBulkModule({ service }),
      createReconcileModule({ reconciler }),
      createAuditModule({ registry }),
    ],
  });
  const authenticate = overrides.authenticate ?? createAuthenticator({ config, log, extraTokens: overrides.tokens });
  const app = createApp({
    handleGraphQL: graphql.handle,
    authenticate,
    maxBodyBytes: config.maxBodyBytes,
    readiness: createReadiness({ registry, wireguard, reconcile: reconciler, now: overrides.now }),
    log,
    observe: observeRequests({ log, metrics }),
    routes: (routes) => {
      mountMetrics(routes, { authenticate, metrics });
      if (config.graphiql) mountGraphiQL(routes);
    },
  });

  return {
    config,
    log,
    registry,
    wireguard,
    peers,
    service,
    reconciler,
    metrics,
    app,
    /** Reads the interface's public key and listen port: one reconcile pass (kept for callers that only want the info). */
    async refreshInterfaceInfo(): Promise<void> {
      await reconciler.runOnce();
    },
    close(): void {
      checkpointer?.stop();
      registry.close();
    },
  };
}

export type ComposedAgent = ReturnType<typeof createAgent>;

/** One token bucket per credential; the operator's local socket is never limited. */
function createMutationLimit(config: Config, now?: () => number): (context: GraphQLContext) => number {
  const limiter = createRateLimiter({ ...config.rateLimit, now });
  return (context) => (context.actor === LOCAL_PRINCIPAL.name ? 0 : limiter.take(context.actor));
}

// Wiring only: compose the agent, read the interface, serve HTTP.
import { serve, type ServerType } from '@hono/node-server';
import { createAgent, type AgentOverrides, type ComposedAgent } from './agent.js';
import type { Config } from './config.js';
import { listenForMetrics, type MetricsListener } from './metrics/index.js';
import { listenOnLocalSocket, type LocalSocket } from './local-socket.js';
import { certificateFields, readTlsMaterial, tlsServeOptions, warnIfPlainHttpExposed, watchTlsFiles } from './http/tls.js';

export interface RunningAgent {
  agent: ComposedAgent;
  server: ServerType;
  /** The port actually bound (useful with WGNODE_PORT=0). */
  port: number;
  /** The operator's unix socket (null with WGNODE_SOCKET=off). */
  socket: LocalSocket | null;
  /** Credential-free /metrics on 127.0.0.1 (null unless WGNODE_METRICS_PORT is set). */
  metricsListener: MetricsListener | null;
  close(): Promise<void>;
}

export async function startAgent(config: Config, overrides: AgentOverrides = {}): Promise<RunningAgent> {
  // HTTPS when WGNODE_TLS_* name the files; a bad file throws a ConfigError naming its variable, before anything starts.
  const tls = config.tls ? readTlsMaterial(config.tls) : null;
  const agent = createAgent(config, overrides);
  const { log } = agent;
  // The first reconcile pass runs before we serve: revocations a crash left half done are finished
  // first, and the interface's key is known. Then one pass every WGNODE_RECONCILE_INTERVAL_MS.
  const first = await agent.reconciler.start();
  if (!first.ok) log.warn({ error: first.error }, `interface ${config.interfaceName}: the start-up reconcile pass failed; retrying every interval`);

  if (!tls) warnIfPlainHttpExposed(config.host, log);
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: agent.app.fetch, hostname: config.host, port: config.port, ...(tls ? tlsServeOptions(tls) : {}) }, () => resolve(s));
  });
  if (config.tls) watchTlsFiles(server, config.tls, { log });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  log.info({ host: config.host, port, interface: config.interfaceName, db: config.dbPath, tls: tls ? certificateFields(tls) : false }, 'wgnode listening');
  let socket: LocalSocket | null = null;
  try {
    if (config.socketPath) socket = await listenOnLocalSocket({ path: config.socketPath, app: agent.app, registry: agent.registry, log, now: overrides.now });
  } catch (error) {
    // e.g. another wgnode answers on the socket: stop what already started, then fail.
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await agent.reconciler.stop();
    agent.close();
    throw error;
  }
  const metricsListener = config.metricsPort ? await listenForMetrics({ port: config.metricsPort, metrics: agent.metrics, log }) : null;

  return {
    agent,
    server,
    port,
    socket,
    metricsListener,
    async close() {
      await metricsListener?.close();
      await socket?.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await agent.reconciler.stop();
      agent.close();
    },
  };
}

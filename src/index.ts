// Wiring only: config → registry → wireguard → use cases → GraphQL → app → HTTP server.
import { serve, type ServerType } from '@hono/node-server';
import { createApp } from './app.js';
import { createStaticTokenAuthenticator, hashToken } from './auth/static-tokens.js';
import type { Config } from './config.js';
import { createGraphQL } from './graphql/index.js';
import { createReadiness } from './health.js';
import { createLogger, type Logger } from './logger.js';
import { formatIpv4 } from './net.js';
import { openRegistry } from './registry/index.js';
import { createSessionService } from './sessions/index.js';
import { createWireGuardInterface } from './wireguard/interface.js';
import { createExecaRunner, type CommandRunner } from './wireguard/runner.js';

export interface Agent {
  server: ServerType;
  /** The port actually bound (useful with WGNODE_PORT=0). */
  port: number;
  close(): Promise<void>;
}

export async function startAgent(config: Config, overrides: { log?: Logger; runner?: CommandRunner } = {}): Promise<Agent> {
  const log = overrides.log ?? createLogger();
  const registry = openRegistry({ path: config.dbPath, pool: config.pool, interfaceAddress: config.interfaceAddress });
  const runner = overrides.runner ?? createExecaRunner({ timeoutMs: config.commandTimeoutMs });
  const wireguard = createWireGuardInterface({
    runner,
    name: config.interfaceName,
    wgBin: config.wgBin,
    ipBin: config.ipBin,
    netns: config.netns,
  });

  let interfaceKeys: { publicKey: string; listenPort: number } | null = null;
  try {
    const dump = await wireguard.dump();
    interfaceKeys = { publicKey: dump.publicKey, listenPort: dump.listenPort };
  } catch (error) {
    log.warn({ err: error }, `interface ${config.interfaceName} did not answer at start-up`);
  }

  const service = createSessionService({ registry, peers: wireguard, log, maxDevicesPerUser: config.maxDevicesPerUser });
  const graphql = createGraphQL({
    service,
    registry,
    log,
    onlineWindowS: config.onlineWindowS,
    node: {
      interface: config.interfaceName,
      address: formatIpv4(config.interfaceAddress),
      addressPool: config.pool.text,
      endpoint: config.publicEndpoint,
      current: () => interfaceKeys,
    },
  });
  const tokens = config.adminToken ? [{ name: 'admin-token', sha256: hashToken(config.adminToken), scopes: ['admin'] }] : [];
  if (tokens.length === 0) log.warn('no credentials configured (WGNODE_ADMIN_TOKEN): every GraphQL request will be refused');
  const app = createApp({
    handleGraphQL: graphql.handle,
    authenticate: createStaticTokenAuthenticator(tokens),
    readiness: createReadiness({ registry, wireguard }),
    log,
  });

  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: config.host, port: config.port }, () => resolve(s));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  log.info({ host: config.host, port, interface: config.interfaceName, db: config.dbPath }, 'wgnode listening');

  return {
    server,
    port,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      registry.close();
    },
  };
}

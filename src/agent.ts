// Composition: config → registry → wireguard → use cases → GraphQL → app. No I/O beyond opening
// the registry, so tests compose the real thing around a fake runner and an in-memory database.
import { createApp } from './app.js';
import type { Authenticator } from './auth/principal.js';
import { createStaticTokenAuthenticator, hashToken } from './auth/static-tokens.js';
import type { Config } from './config.js';
import { createGraphQL, type NodeInfoSource } from './graphql/index.js';
import { createReadiness } from './health.js';
import { createLogger, type Logger } from './logger.js';
import { formatIpv4 } from './net.js';
import { openRegistry } from './registry/index.js';
import { createSessionService } from './sessions/index.js';
import { createWireGuardInterface } from './wireguard/interface.js';
import { createExecaRunner, type CommandRunner } from './wireguard/runner.js';

export interface AgentOverrides {
  log?: Logger;
  runner?: CommandRunner;
  now?: () => number;
  authenticate?: Authenticator;
}

export function createAgent(config: Config, overrides: AgentOverrides = {}) {
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
  const service = createSessionService({
    registry,
    peers: wireguard,
    log,
    now: overrides.now,
    maxDevicesPerUser: config.maxDevicesPerUser,
  });

  // The interface's public key and port, as last read from it (start-up, then every reconcile).
  let interfaceKeys: { publicKey: string; listenPort: number } | null = null;
  const node: NodeInfoSource = {
    interface: config.interfaceName,
    address: formatIpv4(config.interfaceAddress),
    addressPool: config.pool.text,
    endpoint: config.publicEndpoint,
    current: () => interfaceKeys,
  };
  const graphql = createGraphQL({ service, registry, log, node, onlineWindowS: config.onlineWindowS, now: overrides.now });
  const app = createApp({
    handleGraphQL: graphql.handle,
    authenticate: overrides.authenticate ?? staticAdminToken(config, log),
    readiness: createReadiness({ registry, wireguard }),
    log,
  });

  return {
    config,
    log,
    registry,
    wireguard,
    service,
    app,
    /** Reads the interface's public key and listen port (the dump's private key is dropped by the parser). */
    async refreshInterfaceInfo(): Promise<void> {
      const dump = await wireguard.dump();
      interfaceKeys = { publicKey: dump.publicKey, listenPort: dump.listenPort };
    },
    close(): void {
      registry.close();
    },
  };
}

export type ComposedAgent = ReturnType<typeof createAgent>;

function staticAdminToken(config: Config, log: Logger): Authenticator {
  if (!config.adminToken) log.warn('no credentials configured (WGNODE_ADMIN_TOKEN): every GraphQL request will be refused');
  const tokens = config.adminToken ? [{ name: 'admin-token', sha256: hashToken(config.adminToken), scopes: ['admin'] }] : [];
  return createStaticTokenAuthenticator(tokens);
}

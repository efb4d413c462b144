// Wiring only: compose the agent, read the interface, serve HTTP.
import { serve, type ServerType } from '@hono/node-server';
import { createAgent, type AgentOverrides, type ComposedAgent } from './agent.js';
import type { Config } from './config.js';

export interface RunningAgent {
  agent: ComposedAgent;
  server: ServerType;
  /** The port actually bound (useful with WGNODE_PORT=0). */
  port: number;
  close(): Promise<void>;
}

export async function startAgent(config: Config, overrides: AgentOverrides = {}): Promise<RunningAgent> {
  const agent = createAgent(config, overrides);
  const { log } = agent;
  try {
    await agent.refreshInterfaceInfo();
  } catch (error) {
    log.warn({ err: error }, `interface ${config.interfaceName} did not answer at start-up`);
  }

  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: agent.app.fetch, hostname: config.host, port: config.port }, () => resolve(s));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  log.info({ host: config.host, port, interface: config.interfaceName, db: config.dbPath }, 'wgnode listening');

  return {
    agent,
    server,
    port,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.close();
    },
  };
}

// The server's start-up: compose the agent and start it (first reconcile pass, HTTP port,
// operator socket, metrics listener, reconcile timer). `running.agent.stop()` takes it down.
import { createAgent, type AgentOverrides, type ComposedAgent, type Listening } from './agent.js';
import type { Config } from './config.js';

export interface RunningAgent extends Listening {
  agent: ComposedAgent;
}

export async function startServer(config: Config, overrides: AgentOverrides = {}): Promise<RunningAgent> {
  const agent = createAgent(config, overrides);
  return { agent, ...(await agent.start()) };
}

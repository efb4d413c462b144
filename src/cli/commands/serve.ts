// `wgnode serve`: run the agent (HTTP port + operator socket + reconciler) until SIGINT/SIGTERM.
// The first signal shuts down cleanly: no new requests, in-flight ones and queued peer changes
// finish, the WAL is checkpointed, exit 0. A second signal, or WGNODE_SHUTDOWN_TIMEOUT_MS without
// finishing, exits at once with status 1: whatever was not finished is recorded as intent in the
// registry, and the next start's first reconcile pass completes it.
import { ConfigError, loadConfig } from '../../config.js';
import { CliError, EXIT } from '../errors.js';
import type { RegisterCommand } from './types.js';

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

export const registerServe: RegisterCommand = (program, action) => {
  program
    .command('serve')
    .description('run the agent: GraphQL over HTTP (WGNODE_HOST:WGNODE_PORT) and the operator socket (WGNODE_SOCKET)')
    .action(
      action(async (ctx) => {
        let config;
        try {
          config = loadConfig(ctx.io.env);
        } catch (error) {
          if (error instanceof ConfigError) throw new CliError(EXIT.USAGE, 'CONFIG', `configuration error: ${error.message}`);
          throw error;
        }
        // Loaded here, not at the top: the operator commands start fast without the server's modules.
        const { startServer } = await import('../../server.js');
        let running;
        try {
          running = await startServer(config);
        } catch (error) {
          // A TLS file that does not load is the configuration's fault, like any other ConfigError.
          if (error instanceof ConfigError) throw new CliError(EXIT.USAGE, 'CONFIG', `configuration error: ${error.message}`);
          // e.g. the port is taken, or another wgnode answers on the socket: one line, not a stack.
          throw new CliError(EXIT.FAILED, 'START_FAILED', (error as Error).message);
        }
        const { agent } = running;
        // One handler for the whole life of the process: between the first signal and the second
        // there must be no moment without one (the default action would kill us silently).
        let onFirst!: (name: string) => void;
        let onSecond!: (reason: string) => void;
        const firstSignal = new Promise<string>((resolve) => (onFirst = resolve));
        const forced = new Promise<string>((resolve) => (onSecond = resolve));
        let received = 0;
        for (const name of SIGNALS) process.on(name, () => (received++ === 0 ? onFirst(name) : onSecond(`a second ${name}`)));
        const signal = await firstSignal;
        const timeoutMs = config.shutdownTimeoutMs;
        agent.log.info({ signal, timeoutMs }, 'shutting down: finishing in-flight requests and queued peer changes');
        setTimeout(() => onSecond(`the shutdown deadline (WGNODE_SHUTDOWN_TIMEOUT_MS=${timeoutMs})`), timeoutMs).unref();
        const outcome = await Promise.race([agent.stop().then(() => null), forced]);
        if (outcome !== null) {
          agent.log.error({ reason: outcome }, 'shutdown cut short: exiting now; the next start finishes what is pending');
          // No drain of stdout, no waiting for anything: this is the operator's "now".
          process.exit(EXIT.FAILED);
        }
        agent.log.info('shut down cleanly');
      }),
    );
};

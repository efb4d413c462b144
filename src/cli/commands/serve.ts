// `wgnode serve`: run the agent (HTTP port + operator socket + reconciler) until SIGINT/SIGTERM.
import { ConfigError, loadConfig } from '../../config.js';
import { CliError, EXIT } from '../errors.js';
import type { RegisterCommand } from './types.js';

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
        await new Promise<void>((resolve) => {
          for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve());
        });
        await running.agent.stop();
      }),
    );
};

// The `wgnode` command line (commander). `runCli` never exits the process and takes its output
// streams and environment as arguments, so tests run it in-process against a server on a socket.
import { Command, CommanderError } from 'commander';
import { VERSION } from '../version.js';
import { registerAudit } from './commands/audit.js';
import { registerBackup } from './commands/backup.js';
import { registerDevices } from './commands/devices.js';
import { registerDrain } from './commands/drain.js';
import { registerDoctor } from './commands/doctor.js';
import { registerPeers } from './commands/peers.js';
import { registerRevoke } from './commands/revoke.js';
import { registerServe } from './commands/serve.js';
import { registerSessions } from './commands/sessions.js';
import { registerStatus } from './commands/status.js';
import { registerToken } from './commands/token.js';
import type { ActionFactory } from './commands/types.js';
import { createCommandContext, type CliIo, type GlobalOptions } from './context.js';
import { CliError, EXIT } from './errors.js';

export type { CliIo } from './context.js';

const EXIT_CODES_HELP = `
Talks to the local wgnode over its unix socket (WGNODE_SOCKET, default next to WGNODE_DB) as the
operator \`local\`; --url/--token (WGNODE_URL/WGNODE_TOKEN) reach a remote node instead.
\`wgnode token\` works on the tokens file itself (WGNODE_TOKENS_FILE or --file), with no server.

Exit codes:
  0  ok
  1  the node refused or failed the request (e.g. SESSION_NOT_FOUND), the tokens file refused the
     change (TOKEN_EXISTS, TOKEN_NOT_FOUND, TOKENS_FILE), or doctor found a problem
  2  usage: unknown command or option, bad argument, bad configuration
  3  cannot reach the server (no socket, connection refused, timeout)
  4  not allowed (bad or missing token, missing scope, no permission on the socket or tokens file)
  5  recorded but not yet confirmed by WireGuard (REMOVAL_PENDING); the node keeps retrying
`;

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode: number = EXIT.OK;
  let json = argv.includes('--json');
  const action: ActionFactory = (handler) => async (...params) => {
    const command = params[params.length - 1] as Command;
    const globals = command.optsWithGlobals<GlobalOptions>();
    json = globals.json === true;
    const ctx = createCommandContext(io, globals);
    exitCode = (await handler(ctx, command.opts<never>(), params.slice(0, -2) as string[])) ?? EXIT.OK;
  };

  const program = new Command('wgnode')
    .description('wgnode: the control-plane agent of a WireGuard VPN node, and its operator CLI')
    .version(VERSION, '-V, --version', 'print the version')
    .option('--json', 'print JSON for scripts instead of tables')
    .option('--no-color', 'no colour (also: NO_COLOR=1; colour is only ever used on a terminal)')
    .option('--socket <PATH>', 'the local server socket (default: WGNODE_SOCKET, else next to WGNODE_DB)')
    .option('--url <URL>', 'a remote node instead of the socket (WGNODE_URL)')
    .option('--token <TOKEN>', 'bearer token for --url (prefer WGNODE_TOKEN: arguments show in ps)')
    .addHelpText('after', EXIT_CODES_HELP)
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => void io.stdout.write(text),
      writeErr: (text) => void io.stderr.write(text),
      // Commander's own errors become the CLI's one-line form.
      outputError: (text, write) => {
        const message = `${text.replace(/^error: /, '').trim()} (see --help)`;
        write(json ? `${JSON.stringify({ error: { code: 'USAGE', message, exitCode: EXIT.USAGE } })}\n` : `wgnode: USAGE: ${message}\n`);
      },
    });

  for (const register of [registerStatus, registerSessions, registerDevices, registerRevoke, registerPeers, registerDrain, registerAudit, registerDoctor, registerBackup, registerToken, registerServe]) {
    register(program, action);
  }

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end by "exiting" 0; every other commander error is a usage error.
      return error.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    if (error instanceof CliError) {
      io.stderr.write(
        json ? `${JSON.stringify({ error: { code: error.code, message: error.message, exitCode: error.exitCode } })}\n` : `wgnode: ${error.code}: ${error.message}\n`,
      );
      return error.exitCode;
    }
    io.stderr.write(`wgnode: INTERNAL: ${(error as Error).stack ?? String(error)}\n`);
    return EXIT.FAILED;
  }
}

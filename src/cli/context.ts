// What every command gets: where to write, the environment, the clock, and (lazily) a client for
// the node chosen by --socket / --url / --token or WGNODE_SOCKET / WGNODE_URL / WGNODE_TOKEN.
import { ConfigError, loadClientConfig } from '../config.js';
import type { CommandRunner } from '../wireguard/runner.js';
import { createClient, type Client, type Target } from './client.js';
import { CliError, EXIT } from './errors.js';
import { createStyle, type Style } from './format.js';

export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: Record<string, string | undefined>;
  /** Whether stdout is a terminal (colour is only ever used on one). */
  isTTY: boolean;
  cwd: string;
  now: () => number;
  /** Runs wg/ip for `doctor`; tests pass a fake (default: the execa runner). */
  runner?: CommandRunner;
}

export interface GlobalOptions {
  json?: boolean;
  color?: boolean;
  socket?: string;
  url?: string;
  token?: string;
}

export interface CommandContext {
  io: CliIo;
  json: boolean;
  style: Style;
  client(): Client;
  /** Prints `value` as JSON under --json, else the text `human()` returns. */
  print(value: unknown, human: () => string): void;
}

export function createCommandContext(io: CliIo, options: GlobalOptions): CommandContext {
  const json = options.json === true;
  const colour = io.isTTY && !json && options.color !== false && !io.env.NO_COLOR;
  let client: Client | null = null;
  return {
    io,
    json,
    style: createStyle(colour),
    client() {
      client ??= createClient(resolveTarget(io, options));
      return client;
    },
    print(value, human) {
      io.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : human());
    },
  };
}

function resolveTarget(io: CliIo, options: GlobalOptions): Target {
  let env;
  try {
    env = loadClientConfig(io.env);
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(EXIT.USAGE, 'CONFIG', error.message);
    throw error;
  }
  // An explicit --socket wins over a URL from the environment; --url over both.
  const url = options.url ?? (options.socket ? null : env.url);
  if (url) {
    if (!/^https?:\/\//.test(url)) throw new CliError(EXIT.USAGE, 'USAGE', `--url must start with http:// or https:// (got ${url})`);
    return { kind: 'url', url, token: options.token ?? env.token };
  }
  return { kind: 'socket', socketPath: options.socket ?? env.socketPath };
}

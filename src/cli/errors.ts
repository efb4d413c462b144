// Exit codes scripts can rely on (documented in the README and in `wgnode --help`).
export const EXIT = {
  OK: 0,
  /** The node refused or failed the request (a domain error such as SESSION_NOT_FOUND), the tokens file refused a change (TOKEN_EXISTS, TOKEN_NOT_FOUND), or doctor found a problem. */
  FAILED: 1,
  /** The command line is wrong: unknown command or option, missing or malformed argument. */
  USAGE: 2,
  /** No wgnode answered: no socket, connection refused, timeout, or not a wgnode answer. */
  UNREACHABLE: 3,
  /** Not allowed: missing or bad token, missing scope, or no permission on the socket file or the tokens file. */
  AUTH: 4,
  /** The change is recorded but WireGuard has not confirmed it yet (REMOVAL_PENDING); the node keeps retrying. */
  PENDING: 5,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI reports as one line, `wgnode: CODE: message`, and exits with `exitCode`. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    readonly exitCode: ExitCode,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const usage = (message: string) => new CliError(EXIT.USAGE, 'USAGE', message);

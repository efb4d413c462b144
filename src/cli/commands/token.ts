// `wgnode token add|list|remove`: the named, scoped bearer tokens in the tokens file. It works on
// the file directly (no server needed, none contacted); a running server re-reads the file when it
// changes, so an added token works and a removed one stops working within a second or so.
import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { addToken, isTokenName, readTokensFile, removeToken, SCOPES, TokensFileError, type TokenRecord } from '../../auth/tokens-file.js';
import type { CommandContext } from '../context.js';
import { CliError, EXIT, usage } from '../errors.js';
import { formatTable, relativeTime } from '../format.js';
import type { ActionFactory, RegisterCommand } from './types.js';

interface FileOption {
  file?: string;
}

export const registerToken: RegisterCommand = (program, action) => {
  const token = program
    .command('token')
    .description('manage the named, scoped bearer tokens in the tokens file (WGNODE_TOKENS_FILE or --file)');

  withFile(
    token
      .command('add')
      .description('add a token and print its secret once, on stdout (the file keeps only its SHA-256)')
      .argument('<NAME>', 'who uses it, as the audit log will name it (letters, digits, _ . @ : -)', parseName)
      .requiredOption('--scope <SCOPE...>', `its scopes: ${SCOPES.join(', ')} (several: --scope read admin, or read,admin)`, collectScopes),
    action,
    (ctx, file, options: { scope: string[] }, [name]) => {
      // addToken refuses a duplicate too (under its lock); this check only gives it its own code.
      if (change(file, () => readTokensFile(file).tokens.some((t) => t.name === name))) {
        throw new CliError(EXIT.FAILED, 'TOKEN_EXISTS', `a token named ${name} already exists in ${file}; remove it first`);
      }
      const secret = change(file, () => addToken(file, name!, options.scope, new Date(ctx.io.now())));
      const record = readTokensFile(file).tokens.find((t) => t.name === name);
      if (ctx.json) {
        ctx.io.stdout.write(`${JSON.stringify({ ...describe(record!), file, token: secret }, null, 2)}\n`);
      } else {
        // The secret alone on stdout (easy to pipe into a secret store); the note on stderr.
        ctx.io.stderr.write(`added token "${name}" (${options.scope.join(', ')}) to ${file}; it is shown only now:\n`);
        ctx.io.stdout.write(`${secret}\n`);
      }
    },
  );

  withFile(
    token.command('list').description('list the tokens: names, scopes and when they were made (never secrets or hashes)'),
    action,
    (ctx, file) => {
      const tokens = change(file, () => readTokensFile(file).tokens).map(describe);
      ctx.print(tokens, () => {
        if (tokens.length === 0) return `no tokens in ${file}\n`;
        const now = ctx.io.now();
        return formatTable(
          ['NAME', 'SCOPES', 'CREATED'],
          tokens.map((t) => [t.name, t.scopes.join(','), t.createdAt ? `${t.createdAt}  (${relativeTime(t.createdAt, now)})` : '-']),
          ctx.style,
        );
      });
    },
  );

  withFile(
    token
      .command('remove')
      .description('remove a token: a running server refuses it once it re-reads the file')
      .argument('<NAME>', 'the token to remove'),
    action,
    (ctx, file, _options, [name]) => {
      if (!change(file, () => removeToken(file, name!))) {
        throw new CliError(EXIT.FAILED, 'TOKEN_NOT_FOUND', `no token named ${name} in ${file} (see wgnode token list)`);
      }
      ctx.print({ removed: name, file }, () => `removed token "${name}" from ${file}\n`);
    },
  );
};

/** Adds --file to a token subcommand and hands its action the resolved tokens file path. */
function withFile<O>(
  command: Command,
  action: ActionFactory,
  // Synchronous: the tokens file is read and written with sync calls under its lock.
  handler: (ctx: CommandContext, file: string, options: O, args: string[]) => void,
): void {
  command.option('--file <PATH>', 'the tokens file (default: WGNODE_TOKENS_FILE)').action(
    action<O & FileOption>((ctx, options, args) => {
      const file = options.file ?? ctx.io.env.WGNODE_TOKENS_FILE;
      if (!file) throw usage('no tokens file: pass --file PATH or set WGNODE_TOKENS_FILE');
      handler(ctx, resolve(ctx.io.cwd, file), options, args);
    }),
  );
}

/** What `list` and `add --json` show of a token: never its hash. */
function describe(t: TokenRecord): { name: string; scopes: string[]; createdAt: string | null } {
  return { name: t.name, scopes: [...t.scopes], createdAt: t.createdAt || null };
}

/** The tokens file refused the change (duplicate name, busy, malformed): exit 1 with its reason. */
function change<T>(file: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof TokensFileError) throw new CliError(EXIT.FAILED, 'TOKENS_FILE', error.message);
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') throw new CliError(EXIT.AUTH, 'PERMISSION', `no permission on ${file} or its directory`);
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new CliError(EXIT.FAILED, 'TOKENS_FILE', `cannot write ${file}: its directory does not exist`);
    throw error;
  }
}

function parseName(value: string): string {
  if (!isTokenName(value)) {
    throw new InvalidArgumentError('must be 1-64 letters, digits or _ . @ : - (starting with a letter or digit), and not local or admin-token');
  }
  return value;
}

function collectScopes(value: string, previous: string[] | undefined): string[] {
  const scopes = value.split(/[ ,]+/).filter(Boolean);
  const unknown = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
  if (scopes.length === 0 || unknown.length) throw new InvalidArgumentError(`must be ${SCOPES.join(' or ')} (got ${value})`);
  return [...new Set([...(previous ?? []), ...scopes])];
}

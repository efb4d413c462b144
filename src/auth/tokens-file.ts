// Named, scoped bearer tokens kept in a JSON file as SHA-256 digests. The secret is printed once
// when the token is made and never stored: a leaked file opens nothing. SHA-256 (not bcrypt or
// argon2) because the tokens are 256 random bits: no dictionary to slow down, and a slow hash
// would cost milliseconds on every request.
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { isReservedActor, RESERVED_ACTORS } from '../actors.js';
import { hashToken, type StaticToken } from './static-tokens.js';

export const SCOPES = ['admin', 'read'] as const;

export interface TokenRecord extends StaticToken {
  createdAt: string;
}

export interface TokensFile {
  version: 1;
  tokens: TokenRecord[];
}

export class TokensFileError extends Error {
  override name = 'TokensFileError';
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.@:-]{0,63}$/;

export function isTokenName(name: string): boolean {
  return NAME.test(name) && !isReservedActor(name);
}

/** Reads and checks the file; a missing file is an empty one. */
export function readTokensFile(path: string): TokensFile {
  if (!existsSync(path)) return { version: 1, tokens: [] };
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new TokensFileError(`${path}: not valid JSON (${(error as Error).name})`);
  }
  return parseTokensFile(data, path);
}

export function parseTokensFile(data: unknown, where = 'tokens file'): TokensFile {
  const fail = (why: string): never => {
    throw new TokensFileError(`${where}: ${why}`);
  };
  if (typeof data !== 'object' || data === null || (data as TokensFile).version !== 1) fail('expected {"version": 1, "tokens": [...]}');
  const list = (data as { tokens?: unknown }).tokens;
  if (!Array.isArray(list)) fail('"tokens" must be an array');
  const seen = new Set<string>();
  const tokens = (list as unknown[]).map((entry, i): TokenRecord => {
    const t = entry as Partial<TokenRecord>;
    if (typeof t?.name !== 'string' || !isTokenName(t.name)) fail(`tokens[${i}].name is missing, malformed or reserved`);
    if (seen.has(t.name!)) fail(`token name ${t.name} appears twice`);
    seen.add(t.name!);
    if (typeof t.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(t.sha256)) fail(`tokens[${i}].sha256 must be 64 lowercase hex digits`);
    if (!Array.isArray(t.scopes) || t.scopes.length === 0 || !t.scopes.every((s) => (SCOPES as readonly unknown[]).includes(s))) {
      fail(`tokens[${i}].scopes must be a non-empty list of ${SCOPES.join(', ')}`);
    }
    return { name: t.name!, sha256: t.sha256!, scopes: [...t.scopes!], createdAt: String(t.createdAt ?? '') };
  });
  return { version: 1, tokens };
}

/** A fresh token: 256 random bits, prefixed so secret scanners can spot a leaked one. */
function generateToken(): string {
  return `wgn_${randomBytes(32).toString('base64url')}`;
}

/**
 * Adds a named token to the file (created when missing) and returns the secret, which exists
 * nowhere else: show it once. Refuses a name already in the file.
 */
export function addToken(file: string, name: string, scopes: readonly string[], now: Date = new Date()): string {
  if (!isTokenName(name)) throw new TokensFileError(`token name must match ${NAME.source} and not be one of: ${RESERVED_ACTORS.join(', ')}`);
  const unknown = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
  if (scopes.length === 0 || unknown.length) throw new TokensFileError(`scopes must be a non-empty list of ${SCOPES.join(', ')}`);
  return withLock(file, () => {
    const current = readTokensFile(file);
    if (current.tokens.some((t) => t.name === name)) throw new TokensFileError(`a token named ${name} already exists; remove it first`);
    const token = generateToken();
    const record: TokenRecord = { name, sha256: hashToken(token), scopes: [...new Set(scopes)], createdAt: now.toISOString() };
    writeTokensFile(file, { version: 1, tokens: [...current.tokens, record] });
    return token;
  });
}

/** Removes a named token; returns whether it was there. */
export function removeToken(file: string, name: string): boolean {
  return withLock(file, () => {
    const current = readTokensFile(file);
    const tokens = current.tokens.filter((t) => t.name !== name);
    if (tokens.length === current.tokens.length) return false;
    writeTokensFile(file, { version: 1, tokens });
    return true;
  });
}

/** Two concurrent read-modify-writes would lose one change: the second one is refused instead. */
function withLock<T>(file: string, change: () => T): T {
  const lock = `${file}.lock`;
  let fd: number;
  try {
    fd = openSync(lock, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    throw new TokensFileError(`${file} is being changed by another process (remove ${lock} if none is running)`);
  }
  try {
    return change();
  } finally {
    closeSync(fd);
    unlinkSync(lock);
  }
}

/** Temp file + fsync + rename: a reader sees the old file or the new one, never half of one. */
export function writeTokensFile(file: string, content: TokensFile): void {
  const temp = join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(content, null, 2)}\n`);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    unlinkSync(temp);
    throw error;
  }
  closeSync(fd);
  chmodSync(temp, 0o600); // exactly 0600, whatever the umask
  renameSync(temp, file);
}

// Authenticates against the tokens file, re-reading it when it changes (checked at most once a
// second), so `wgnode token add/remove` takes effect without a restart. A file that turns
// unreadable, malformed or open to other users fails closed: none of its tokens work until it is fixed.
import { statSync } from 'node:fs';
import { credentialFileProblem } from '../credential-files.js';
import type { Logger } from '../logger.js';
import type { Authenticator } from './principal.js';
import { createStaticTokenAuthenticator } from './static-tokens.js';
import { readTokensFile } from './tokens-file.js';

export function createTokensFileAuthenticator(options: { path: string; log: Logger; now?: () => number }): Authenticator {
  const { path, log } = options;
  const now = options.now ?? Date.now;
  const version = () => {
    try {
      const s = statSync(path);
      return `${s.mtimeMs}:${s.size}:${s.ino}`;
    } catch {
      return 'missing';
    }
  };
  // At start-up a bad file is a configuration error: throw, so the agent does not start.
  let loaded = version();
  let current = load(readTokensFile(path).tokens);
  let checkedAt = now();

  function load(tokens: Parameters<typeof createStaticTokenAuthenticator>[0]): Authenticator {
    log.info({ file: path, tokens: tokens.map((t) => t.name) }, 'tokens file loaded');
    return createStaticTokenAuthenticator(tokens);
  }

  function refresh(): void {
    if (now() - checkedAt < 1000) return;
    checkedAt = now();
    const seen = version();
    if (seen === loaded) return;
    loaded = seen;
    try {
      // Opened to other users since start-up: someone else may have written it.
      const problem = credentialFileProblem(path, 'secret');
      if (problem) throw new Error(problem);
      current = load(readTokensFile(path).tokens);
    } catch (error) {
      log.error({ file: path, reason: (error as Error).message }, 'tokens file unreadable: its tokens are refused until it is fixed');
      current = () => null;
    }
  }

  return (token) => {
    refresh();
    return current(token);
  };
}

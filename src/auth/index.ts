// One Authenticator from every configured credential source: the static admin token, the tokens
// file, and control-plane JWTs. Opaque tokens are checked first (a hash and a compare); only a
// token shaped like a JWT pays for a signature check.
import { ADMIN_TOKEN_ACTOR, isReservedActor } from '../actors.js';
import { ConfigError, type Config } from '../config.js';
import type { Logger } from '../logger.js';
import { createJwtAuthenticator, loadVerificationKey, looksLikeJwt } from './jwt.js';
import type { Authenticator } from './principal.js';
import { createStaticTokenAuthenticator, hashToken, type StaticToken } from './static-tokens.js';
import { createTokensFileAuthenticator } from './tokens-file-auth.js';

export interface AuthenticatorOptions {
  config: Pick<Config, 'adminToken' | 'tokensFile' | 'jwt'>;
  log: Logger;
  /** More static tokens beside the configured ones (tests). */
  extraTokens?: readonly StaticToken[];
}

export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const { config, log } = options;
  const staticTokens: StaticToken[] = [...(options.extraTokens ?? [])];
  // The node's own actors (local, reconciler) are no credential's to take.
  const taken = staticTokens.find((t) => isReservedActor(t.name) && t.name !== ADMIN_TOKEN_ACTOR);
  if (taken) throw new ConfigError(`static token name ${taken.name} is reserved for the node's own actions`);
  if (config.adminToken) staticTokens.push({ name: ADMIN_TOKEN_ACTOR, sha256: hashToken(config.adminToken), scopes: ['admin'] });
  const opaque = [createStaticTokenAuthenticator(staticTokens)];
  if (config.tokensFile) opaque.push(createTokensFileAuthenticator({ path: config.tokensFile, log }));
  const jwt = config.jwt ? createJwtAuthenticator({ config: config.jwt, key: loadVerificationKey(config.jwt.publicKeyFile), log }) : null;
  if (!staticTokens.length && !config.tokensFile && !jwt) {
    log.warn('no credentials configured (WGNODE_ADMIN_TOKEN, WGNODE_TOKENS_FILE, WGNODE_JWT_PUBLIC_KEY_FILE): every GraphQL request will be refused');
  }

  return async function authenticate(token) {
    for (const check of opaque) {
      const principal = await check(token);
      if (principal) return principal;
    }
    return jwt && looksLikeJwt(token) ? jwt(token) : null;
  };
}

export type { Authenticator } from './principal.js';
export { LOCAL_PRINCIPAL } from './bearer.js';
export { addToken, removeToken, readTokensFile } from './tokens-file.js';
export type { StaticToken } from './static-tokens.js';

// JWTs signed by the control plane, verified with jose against a public key (PEM) or a JWKS file.
// The accepted algorithms are pinned to the key's type, so `alg: none` and HS256-signed-with-the-
// public-key are refused by construction; `exp`, `sub`, `iss` and `aud` are required.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { ConfigError, type JwtConfig } from '../config.js';
import { credentialFileProblem } from '../credential-files.js';
import type { Logger } from '../logger.js';
import type { Authenticator, Principal } from './principal.js';
import { isReservedActor } from '../actors.js';
import { SCOPES } from './tokens-file.js';

/** Ed25519 may be named by the old (EdDSA) or the fully specified (Ed25519) identifier. */
const ALGORITHMS_BY_KEY_TYPE: Record<string, string[]> = {
  ed25519: ['EdDSA', 'Ed25519'],
  'ec:prime256v1': ['ES256'],
  rsa: ['RS256'],
};
const ALL_ALGORITHMS = [...new Set(Object.values(ALGORITHMS_BY_KEY_TYPE).flat())];
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

export function looksLikeJwt(token: string): boolean {
  return token.startsWith('eyJ') && COMPACT_JWS.test(token);
}

interface VerificationKey {
  key: KeyObject | JWTVerifyGetKey;
  algorithms: string[];
}

/** Reads the key file once, at start-up; a problem is a ConfigError naming the variable. */
export function loadVerificationKey(path: string): VerificationKey {
  const fail = (why: string): never => {
    throw new ConfigError(`WGNODE_JWT_PUBLIC_KEY_FILE=${path}: ${why}`);
  };
  // The key decides who may act here: a file others can rewrite is a door anyone can open.
  const problem = credentialFileProblem(path, 'public');
  if (problem && problem !== 'does not exist') fail(problem);
  let text = '';
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch (error) {
    fail(`cannot read it (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (text.startsWith('{')) return { key: parseJwks(text, fail), algorithms: ALL_ALGORITHMS };
  // A node has no business holding the signer's private key.
  if (/PRIVATE KEY/.test(text)) fail('holds a private key; give the node the public key only');
  let key: KeyObject | undefined;
  try {
    key = createPublicKey(text);
  } catch {
    fail('not a PEM public key or a JWKS (JSON)');
  }
  const type = key!.asymmetricKeyType === 'ec' ? `ec:${key!.asymmetricKeyDetails?.namedCurve}` : String(key!.asymmetricKeyType);
  const algorithms = ALGORITHMS_BY_KEY_TYPE[type] ?? fail(`key type ${type} is not supported (Ed25519, EC P-256, RSA)`);
  return { key: key!, algorithms };
}

function parseJwks(text: string, fail: (why: string) => never): JWTVerifyGetKey {
  let jwks: JSONWebKeySet;
  try {
    jwks = JSON.parse(text) as JSONWebKeySet;
  } catch {
    return fail('not valid JSON');
  }
  if (!Array.isArray(jwks.keys) || jwks.keys.length === 0) fail('a JWKS needs a non-empty "keys" list');
  for (const jwk of jwks.keys) {
    if (jwk.kty === 'oct') fail('symmetric (oct) keys are refused: the node verifies with public keys only');
    if ('d' in jwk) fail('holds a private key; give the node the public key only');
    if (!['OKP', 'EC', 'RSA'].includes(String(jwk.kty))) fail(`key type ${jwk.kty} is not supported`);
  }
  return createLocalJWKSet(jwks);
}

export function createJwtAuthenticator(options: { config: JwtConfig; key: VerificationKey; log: Logger; now?: () => number }): Authenticator {
  const { config, key, log } = options;
  const now = options.now ?? Date.now;
  // A signature check costs 0.2-0.4 ms; the control plane resends the same token for its whole
  // life. Verified tokens are remembered until they expire: the key is the whole token,
  // signature included, so only a token that verified can ever hit.
  const verified = new Map<string, { principal: Principal; until: number }>();
  const MAX_CACHED = 1000;
  const verifyOptions = {
    issuer: config.issuer,
    audience: config.audience,
    algorithms: key.algorithms,
    clockTolerance: config.clockToleranceS,
    requiredClaims: ['exp', 'sub'],
  };
  return async (token) => {
    if (!looksLikeJwt(token)) return null;
    const hit = verified.get(token);
    if (hit) {
      if (now() < hit.until) return hit.principal;
      verified.delete(token);
    }
    let payload: JWTPayload;
    try {
      // The union is split so TypeScript picks the matching jwtVerify overload.
      const at = { ...verifyOptions, currentDate: new Date(now()) };
      payload = typeof key.key === 'function' ? (await jwtVerify(token, key.key, at)).payload : (await jwtVerify(token, key.key, at)).payload;
    } catch (error) {
      // The reason (expired, bad signature, wrong audience) helps the operator; the token never goes to the log.
      log.debug({ reason: (error as { code?: string }).code ?? (error as Error).name }, 'JWT refused');
      return null;
    }
    const principal = principalFromClaims(payload);
    if (principal && typeof payload.exp === 'number') {
      if (verified.size >= MAX_CACHED) verified.delete(verified.keys().next().value!);
      verified.set(token, { principal, until: (payload.exp + config.clockToleranceS) * 1000 });
    }
    return principal;
  };
}

/** RFC 9068: `scope` is a space-separated string. Unknown scopes are ignored, not errors. */
function principalFromClaims(payload: JWTPayload): Principal | null {
  const sub = payload.sub;
  // The subject is the audit log's actor: no control characters or bidi overrides to garble it.
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > 200 || /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/.test(sub)) return null;
  // The node's own actor names (local, reconciler, admin-token) belong to the node.
  if (isReservedActor(sub)) return null;
  const claimed = typeof payload.scope === 'string' ? payload.scope.split(' ') : [];
  const scopes = new Set(claimed.filter((s) => (SCOPES as readonly string[]).includes(s)));
  return { name: sub, scopes };
}

// Hono middleware: a bearer token or a 401 whose body is shaped like a GraphQL error, so a
// GraphQL client reports it like any other error. Requests on the operator's unix socket need
// no token: they act as the `local` principal.
import type { MiddlewareHandler } from 'hono';
import { LOCAL_ACTOR } from '../actors.js';
import { requestHeader } from '../http/incoming.js';
import type { Authenticator, Principal } from './principal.js';

export type AuthVariables = { principal: Principal };

/**
 * The node operator on the local unix socket. File permissions on the socket (0600) are the
 * credential, so no token is involved; the audit log names the actor `local`.
 */
export const LOCAL_PRINCIPAL: Principal = Object.freeze({ name: LOCAL_ACTOR, scopes: new Set(['admin']) });

/**
 * True only for requests that arrived on the local socket: its server passes `{ local: true }` as
 * the fetch env (src/local-socket.ts). A network request cannot set the env, only headers.
 */
function isLocalRequest(env: unknown): boolean {
  return typeof env === 'object' && env !== null && (env as { local?: unknown }).local === true;
}

export function bearerAuth(options: { authenticate: Authenticator; realm?: string }): MiddlewareHandler<{ Variables: AuthVariables }> {
  const challenge = `Bearer realm="${options.realm ?? 'wgnode'}"`;
  return async function requireBearerToken(c, next) {
    if (isLocalRequest(c.env)) {
      c.set('principal', LOCAL_PRINCIPAL);
      return next();
    }
    const header = requestHeader(c, 'authorization') ?? '';
    const match = /^Bearer[ ]+([\x21-\x7e]{1,4096})$/i.exec(header);
    const principal = match ? await options.authenticate(match[1]!) : null;
    if (!principal) {
      const message = match ? 'Invalid or expired bearer token' : 'Missing bearer token: send Authorization: Bearer <token>';
      // RFC 6750 §3.1: a presented-but-refused token is "invalid_token"; a missing one gets the bare challenge.
      return c.json({ errors: [{ message, extensions: { code: 'UNAUTHENTICATED' } }] }, 401, {
        'WWW-Authenticate': match ? `${challenge}, error="invalid_token"` : challenge,
      });
    }
    c.set('principal', principal);
    await next();
  };
}

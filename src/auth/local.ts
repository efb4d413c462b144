// The node operator on the local unix socket. File permissions on the socket (0600) are the
// credential, so no token is involved; the audit log names the actor `local`.
import type { Principal } from './principal.js';

export const LOCAL_PRINCIPAL: Principal = Object.freeze({ name: 'local', scopes: new Set(['admin']) });

/**
 * True only for requests that arrived on the local socket: its server passes `{ local: true }` as
 * the fetch env (src/local-socket.ts). A network request cannot set the env, only headers.
 */
export function isLocalRequest(env: unknown): boolean {
  return typeof env === 'object' && env !== null && (env as { local?: unknown }).local === true;
}

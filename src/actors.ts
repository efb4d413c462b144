// The actor names the node uses itself in the audit log. Defined once, so no credential (a tokens
// file entry, a static token, a JWT subject) can take one of them and pass for the node.
/** The operator on the local unix socket. */
export const LOCAL_ACTOR = 'local';
/** The reconciler's own changes (idle sessions ended, unknown peers removed). */
export const RECONCILER_ACTOR = 'reconciler';
/** Sessions ended by a drain's deadline (src/sessions/drainer.ts). */
export const DRAIN_ACTOR = 'drain';
/** The static token of WGNODE_ADMIN_TOKEN(_FILE). */
export const ADMIN_TOKEN_ACTOR = 'admin-token';

const RESERVED: ReadonlySet<string> = new Set([LOCAL_ACTOR, RECONCILER_ACTOR, DRAIN_ACTOR, ADMIN_TOKEN_ACTOR]);

/** The reserved names, for messages. */
export const RESERVED_ACTORS: readonly string[] = [...RESERVED];

/** Case-insensitive: `Local` in an audit log would pass for `local` to a reader. */
export function isReservedActor(name: string): boolean {
  return RESERVED.has(name.toLowerCase());
}

// The one definition of "online": an ACTIVE session whose latest handshake falls inside the node's
// online window (WGNODE_ONLINE_WINDOW_S). In JS for a row in hand, in SQL for filters and counts.

/** The earliest handshake time (ms) that still counts as online at `now`. */
export function onlineSince(now: number, windowS: number): number {
  return now - windowS * 1000;
}

export function isOnline(session: { status: string; lastHandshakeAt: number | null }, since: number): boolean {
  return session.status === 'ACTIVE' && session.lastHandshakeAt !== null && session.lastHandshakeAt >= since;
}

/** isOnline as SQL over the sessions table, with the window's start bound as @since; and its negation. */
export const ONLINE_SQL = `status = 'ACTIVE' AND last_handshake_at >= @since`;
export const NOT_ONLINE_SQL = `(status <> 'ACTIVE' OR last_handshake_at IS NULL OR last_handshake_at < @since)`;

// Wall-clock jumps. WireGuard reports handshake times on the wall clock (`wg show dump`), and
// idleness and "online" are ages measured against it, so a clock stepped by an hour would make
// every session look idle (or fresh) at once. The reconciler measures time between its passes on
// the monotonic clock too; when the two disagree by more than CLOCK_JUMP_TOLERANCE_MS the wall
// clock jumped, and the reconciler (reconciler.ts) holds idle-ending and rebases handshake times.
// Expiry (connectDevice lifetimeS) is a lifetime too: on a jump the reconciler moves expiresAt by it.

/** Smaller disagreements (NTP slewing, a late timer) move an age by less than this: ignored. */
const CLOCK_JUMP_TOLERANCE_MS = 30_000;

/** Compares successive (wall, monotonic) readings; returns the jump in ms (wall minus monotonic), 0 when none. */
export function createClockWatch(toleranceMs = CLOCK_JUMP_TOLERANCE_MS) {
  let last: { wall: number; mono: number } | null = null;
  return {
    observe(wall: number, mono: number): number {
      const previous = last;
      last = { wall, mono };
      if (!previous) return 0;
      const jump = wall - previous.wall - (mono - previous.mono);
      return Math.abs(jump) > toleranceMs ? jump : 0;
    },
  };
}

/**
 * Handshake times recorded before a jump, moved by the jump so that their ages stay what they
 * were. wg keeps reporting the old (unshifted) time of a peer until its next handshake: while it
 * does, translate() gives the shifted time instead; a new handshake is taken as it comes.
 */
export function createHandshakeShifts() {
  const shifted = new Map<number, { raw: number; at: number }>();
  return {
    /** After a jump of `jumpMs`: every recorded handshake of these sessions moves with the clock. */
    rebase(sessions: ReadonlyArray<{ id: number; lastHandshakeAt: number | null }>, jumpMs: number): void {
      for (const s of sessions) {
        if (s.lastHandshakeAt === null) continue;
        const raw = shifted.get(s.id)?.raw ?? s.lastHandshakeAt;
        shifted.set(s.id, { raw, at: s.lastHandshakeAt + jumpMs });
      }
    },
    /** The handshake time to record for what wg reports (ms). */
    translate(sessionId: number, rawMs: number): number {
      const entry = shifted.get(sessionId);
      if (!entry) return rawMs;
      if (entry.raw === rawMs) return entry.at;
      shifted.delete(sessionId); // a new handshake: on the new clock already
      return rawMs;
    },
  };
}

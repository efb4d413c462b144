// Issue 11's targets, in one place: the rows that measure against them (scripts/bench/*.ts) and
// the bounds that say whether they are within reach (bench-bounds.ts) read the same numbers.
export const TARGETS = {
  /** Rows 2, 2b: a revocation's throughput, × the floor's. */
  revocationVsFloor: 0.5,
  /** Rows 2c, 2d: activate and connect, × the floor's. */
  activationVsFloor: 0.4,
  /** Row 3: 10,000 single deactivations, seconds, and speed-up over the naive loop. */
  massSeconds: 2,
  massVsNaive: 20,
  /** Row 3b: the same as one bulk request, seconds. */
  bulkSeconds: 0.4,
  /** Row 4: an idle disconnect's warm p99, × a bare `wg set … remove`'s. */
  idleVsBareWg: 2,
  /** Row 5: a big history's hot path × an empty registry's, and pruning's p99 × the big one's. */
  historyVsEmpty: 1.1,
  pruningVsBig: 1.1,
  /** Row 6: one pass over a full interface. */
  passSeconds: 0.8,
  passLoopP99Ms: 20,
  passRssMb: 256,
} as const;

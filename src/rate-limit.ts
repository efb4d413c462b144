// A token bucket per key (a principal's name): `perSecond` refill, `burst` capacity. In process
// and tiny on purpose: one node, one process, and the limit only has to stop a runaway caller,
// never the control plane's normal traffic.
export interface RateLimiter {
  /** Takes one token for `key`; returns 0 when allowed, else the seconds to wait (≥ 1). */
  take(key: string): number;
}

export function createRateLimiter(options: { perSecond: number; burst: number; now?: () => number; maxKeys?: number }): RateLimiter {
  const { perSecond, burst } = options;
  const now = options.now ?? Date.now;
  const maxKeys = options.maxKeys ?? 10_000;
  const buckets = new Map<string, { tokens: number; at: number }>();
  if (perSecond <= 0) return { take: () => 0 };

  return {
    take(key) {
      const t = now();
      let bucket = buckets.get(key);
      if (!bucket) {
        // Bounded: only authenticated principals get here, but a JWT issuer could mint many subjects.
        if (buckets.size >= maxKeys) buckets.delete(buckets.keys().next().value!);
        bucket = { tokens: burst, at: t };
        buckets.set(key, bucket);
      }
      bucket.tokens = Math.min(burst, bucket.tokens + ((t - bucket.at) / 1000) * perSecond);
      bucket.at = t;
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return 0;
      }
      return Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond));
    },
  };
}

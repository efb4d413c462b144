// When to retry an attempt and how long to wait: exponential backoff with full jitter, or the
// node's own Retry-After. Only answers that say "not now" are retried; a domain answer is final.

export interface RetryOptions {
  /** Attempts after the first (default 4). */
  retries: number;
  /** First backoff ceiling in ms (default 200); doubles per attempt. */
  baseDelayMs: number;
  /** Backoff ceiling in ms (default 5000); also caps a Retry-After. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { retries: 4, baseDelayMs: 200, maxDelayMs: 5_000 };

/**
 * 409: the same Idempotency-Key is still running on the node; 429: rate limited; 5xx: the node
 * (or a proxy) cannot answer now, e.g. 503 REMOVAL_PENDING, which the node finishes on a retry.
 * 408 is a proxy's timeout. Every other 4xx is the node's answer and final (422 included: the
 * same key with another payload is a bug to surface).
 */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/** Full jitter: uniform in [0, min(max, base·2^attempt)]. attempt counts from 0. */
export function backoffDelay(options: RetryOptions, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** attempt);
  return Math.floor(random() * ceiling);
}

/** Retry-After in ms (delta-seconds or an HTTP date), or null when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now: number = Date.now()): number | null {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return null;
  if (/^\d+$/.test(text.trim())) return Number(text.trim()) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

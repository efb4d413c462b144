// The load generator: autocannon over loopback, from this process (the server runs in another).
// Each request gets its own body (e.g. the next device to disconnect), so every one does real work.
import autocannon from 'autocannon';

export interface LoadResult {
  requests: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Responses whose status was not the expected one, by status; 'graphql errors' for a 200 with errors. */
  unexpected: Record<string, number>;
}

export interface LoadOptions {
  url: string;
  connections: number;
  amount: number;
  token?: string;
  /** The body of the i-th request (0-based). */
  body: (i: number) => string;
  expectStatus?: number;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  let next = 0;
  const unexpected: Record<string, number> = {};
  const expectStatus = options.expectStatus ?? 200;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  // Timed here, to the last response: autocannon's own start/finish are rounded to its 1 s ticks
  // (a 2.2 s run reads as ~3 s), which would skew every rate.
  const started = performance.now();
  let lastResponse = started;
  const result = await autocannon({
    url: `${options.url}/graphql`,
    // autocannon refuses more connections than requests (tiny --quick sizes).
    connections: Math.min(options.connections, options.amount),
    amount: options.amount,
    timeout: 60,
    requests: [
      {
        method: 'POST',
        path: '/graphql',
        headers,
        setupRequest: (request) => ({ ...request, body: options.body(next++) }),
        onResponse: (status, body) => {
          lastResponse = performance.now();
          const kind = status !== expectStatus ? String(status) : body.includes('"errors"') ? 'graphql errors' : null;
          if (kind) unexpected[kind] = (unexpected[kind] ?? 0) + 1;
        },
      },
    ],
  });
  const seconds = (lastResponse - started) / 1000;
  for (const [kind, n] of [['errors', result.errors], ['timeouts', result.timeouts]] as const) if (n > 0) unexpected[kind] = n;
  return {
    requests: result.requests.total,
    seconds,
    perSecond: result.requests.total / seconds,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    unexpected,
  };
}

export function graphqlBody(query: string, variables: Record<string, unknown>): string {
  return JSON.stringify({ query, variables });
}

/** The p-th percentile (nearest rank) of a sample, in its unit. */
export function percentile(sample: readonly number[], p: number): number {
  if (sample.length === 0) return Number.NaN;
  const sorted = [...sample].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

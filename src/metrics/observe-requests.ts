// The first middleware of every request: a request id (the caller's, when it is safe to echo,
// else a fresh one), then after the response one metrics observation and one log line with the
// operation, outcome and duration. The handlers name the operation and outcome (Hono variables);
// anything they do not name is labelled by route and HTTP status, from a bounded set.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { MiddlewareHandler } from 'hono';
import type { AuthVariables } from '../auth/bearer.js';
import type { Principal } from '../auth/principal.js';
import { requestHeader } from '../http/incoming.js';
import { outcomeForStatus } from '../graphql/operation-label.js';
import type { Logger } from '../logger.js';
import type { Metrics } from './metrics.js';

export type RequestVariables = {
  requestId: string;
  operation: string;
  outcome: string;
  /** Set by a handler that wrote x-request-id into its own response (/graphql: a plain header record is cheaper to send). */
  requestIdInResponse?: true;
};

// Echoed into a response header and every log line: nothing that could split a header or a line.
const SAFE_REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

// Probes and scrapes arrive every few seconds: their lines are debug, not info.
const QUIET_ROUTES = new Set(['livez', 'readyz', 'metrics']);

export function observeRequests(options: {
  log: Logger;
  metrics: Pick<Metrics, 'observeRequest'>;
}): MiddlewareHandler<{ Variables: RequestVariables & AuthVariables }> {
  const { log, metrics } = options;
  return async function observeRequest(c, next) {
    const started = performance.now();
    const incoming = requestHeader(c, 'x-request-id');
    const requestId = incoming !== undefined && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    c.set('requestId', requestId);
    await next();

    const { res } = c;
    try {
      if (!c.get('requestIdInResponse')) res.headers.set('x-request-id', requestId);
    } catch {
      // An immutable response (none of ours): it simply goes without the header.
    }
    const seconds = (performance.now() - started) / 1000;
    const operation = c.get('operation') ?? routeLabel(c.req.path);
    const outcome = c.get('outcome') ?? outcomeForStatus(res.status);
    metrics.observeRequest(operation, outcome, seconds);

    const level = QUIET_ROUTES.has(operation) ? 'debug' : 'info';
    if (!log.isLevelEnabled(level)) return;
    log[level](
      {
        reqId: requestId,
        method: c.req.method,
        path: c.req.path,
        status: res.status,
        operation,
        outcome,
        durationMs: Math.round(seconds * 1e6) / 1e3,
        // Unset when the request never authenticated.
        actor: (c.get('principal') as Principal | undefined)?.name,
      },
      'request',
    );
  };
}

/** A bounded label for requests no GraphQL operation named: the route, else "other". */
function routeLabel(path: string): string {
  switch (path) {
    case '/livez': return 'livez';
    case '/readyz': return 'readyz';
    case '/metrics': return 'metrics';
    case '/graphql': return 'graphql';
    default: return path.startsWith('/ide/') ? 'ide' : 'other';
  }
}

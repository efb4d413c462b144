// createApp(deps): the HTTP surface. Routes, auth, health; no wiring and no globals, so tests
// build it with fakes and call app.request().
import { Hono, type MiddlewareHandler } from 'hono';
import { bearerAuth, type AuthVariables } from './auth/bearer.js';
import type { Authenticator } from './auth/principal.js';
import type { GraphQLRequest, GraphQLResponse } from './graphql/index.js';
import { limitBodySize, type BodyVariables } from './http/body.js';
import { requestHeaders } from './http/incoming.js';
import type { Logger } from './logger.js';
import type { RequestVariables } from './metrics/observe-requests.js';

export interface Readiness {
  ready: boolean;
  checks: Record<string, { ok: boolean; detail?: string }>;
}

export interface AppDeps {
  handleGraphQL: (request: GraphQLRequest) => Promise<GraphQLResponse>;
  authenticate: Authenticator;
  readiness: () => Promise<Readiness>;
  log: Logger;
  /** Largest /graphql body read (413 above it); default 1 MiB. */
  maxBodyBytes?: number;
  /** Runs first on every request: request id, one log line, metrics (src/metrics/observe-requests.ts). */
  observe?: MiddlewareHandler<AppEnv>;
  /** Routes mounted before /graphql: /metrics, and the GraphQL IDE's page and assets when enabled. */
  routes?: (app: Hono<AppEnv>) => void;
}

export type AppEnv = { Variables: AuthVariables & RequestVariables & BodyVariables };

export function createApp(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  if (deps.observe) app.use(deps.observe);

  app.get('/livez', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const readiness = await deps.readiness();
    return c.json({ status: readiness.ready ? 'ready' : 'not ready', checks: readiness.checks }, readiness.ready ? 200 : 503);
  });

  deps.routes?.(app);
  const maxBodyBytes = deps.maxBodyBytes ?? 1024 * 1024;
  const limitBody = limitBodySize({
    maxBytes: maxBodyBytes,
    onTooLarge: (c) =>
      c.json({ errors: [{ message: `Request body larger than ${maxBodyBytes} bytes`, extensions: { code: 'PAYLOAD_TOO_LARGE' } }] }, 413),
  });
  // Credentials first: an anonymous caller gets its 401 before a byte of its body is read.
  app.on(['GET', 'POST'], '/graphql', bearerAuth({ authenticate: deps.authenticate }), limitBody, async (c) => {
    const principal = c.get('principal');
    const result = await deps.handleGraphQL({
      method: c.req.method,
      url: c.req.url,
      headers: requestHeaders(c),
      // Read by limitBody straight from the Node request when served by Node (see src/http/body.ts).
      body: () => Promise.resolve(c.get('rawBody') ?? c.req.text()),
      context: { actor: principal.name, scopes: principal.scopes },
    });
    c.set('operation', result.operation);
    c.set('outcome', result.outcome);
    // The id in the header record itself: setting it on the Response afterwards turns the record
    // into a Headers object that @hono/node-server then copies back into a record.
    const requestId = c.get('requestId');
    if (requestId === undefined) return new Response(result.body, { status: result.status, headers: result.headers });
    c.set('requestIdInResponse', true);
    return new Response(result.body, { status: result.status, headers: { ...result.headers, 'x-request-id': requestId } });
  });

  app.notFound((c) => c.json({ errors: [{ message: 'Not found', extensions: { code: 'NOT_FOUND' } }] }, 404));
  app.onError((error, c) => {
    deps.log.error({ err: error, path: c.req.path }, 'request failed');
    return c.json({ errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] }, 500);
  });
  return app;
}

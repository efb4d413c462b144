// createApp(deps): the HTTP surface. Routes, auth, health; no wiring and no globals, so tests
// build it with fakes and call app.request().
import { Hono } from 'hono';
import { bearerAuth, type AuthVariables } from './auth/bearer.js';
import type { Authenticator } from './auth/principal.js';
import type { GraphQLRequest, GraphQLResponse } from './graphql/index.js';
import type { Logger } from './logger.js';

export interface Readiness {
  ready: boolean;
  checks: Record<string, { ok: boolean; detail?: string }>;
}

export interface AppDeps {
  handleGraphQL: (request: GraphQLRequest) => Promise<GraphQLResponse>;
  authenticate: Authenticator;
  readiness: () => Promise<Readiness>;
  log: Logger;
}

export function createApp(deps: AppDeps) {
  const app = new Hono<{ Variables: AuthVariables }>();

  app.get('/livez', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const readiness = await deps.readiness();
    return c.json({ status: readiness.ready ? 'ready' : 'not ready', checks: readiness.checks }, readiness.ready ? 200 : 503);
  });

  app.on(['GET', 'POST'], '/graphql', bearerAuth({ authenticate: deps.authenticate }), async (c) => {
    const principal = c.get('principal');
    const result = await deps.handleGraphQL({
      method: c.req.method,
      url: c.req.url,
      headers: c.req.raw.headers,
      body: () => c.req.text(),
      context: { actor: principal.name, scopes: principal.scopes },
    });
    return new Response(result.body, { status: result.status, headers: result.headers });
  });

  app.notFound((c) => c.json({ errors: [{ message: 'Not found', extensions: { code: 'NOT_FOUND' } }] }, 404));
  app.onError((error, c) => {
    deps.log.error({ err: error, path: c.req.path }, 'request failed');
    return c.json({ errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] }, 500);
  });
  return app;
}

export type App = ReturnType<typeof createApp>;

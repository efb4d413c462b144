// Where Prometheus reads the metrics: GET /metrics on the main port behind a credential with the
// read (or admin) scope, and optionally a credential-free listener on 127.0.0.1 only, for a
// scraper on the same host (WGNODE_METRICS_PORT).
import { createServer, type Server } from 'node:http';
import type { Env, Hono, MiddlewareHandler } from 'hono';
import { bearerAuth, type AuthVariables } from '../auth/bearer.js';
import type { Authenticator } from '../auth/principal.js';
import type { Logger } from '../logger.js';
import type { Metrics } from './metrics.js';

type Exposition = Pick<Metrics, 'render' | 'contentType'>;

export function mountMetrics<E extends Env>(app: Hono<E>, deps: { authenticate: Authenticator; metrics: Exposition }): void {
  const { metrics } = deps;
  app.get('/metrics', bearerAuth({ authenticate: deps.authenticate }), requireReadScope(), async (c) =>
    c.body(await metrics.render(), 200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' }),
  );
}

function requireReadScope(): MiddlewareHandler<{ Variables: AuthVariables }> {
  return async function requireRead(c, next) {
    const { scopes } = c.get('principal');
    if (!scopes.has('read') && !scopes.has('admin')) {
      return c.json({ errors: [{ message: 'This endpoint needs the read scope', extensions: { code: 'FORBIDDEN' } }] }, 403);
    }
    await next();
  };
}

export interface MetricsListener {
  port: number;
  close(): Promise<void>;
}

/** GET /metrics without a credential, bound to 127.0.0.1 (never a public address). */
export async function listenForMetrics(options: { port: number; metrics: Exposition; log: Logger }): Promise<MetricsListener> {
  const { metrics, log } = options;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: GET /metrics\n');
      return;
    }
    metrics.render().then(
      (text) => res.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' }).end(text),
      (error: unknown) => {
        log.error({ err: error }, 'metrics collection failed');
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('metrics collection failed\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => (server.off('error', reject), resolve()));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  log.info({ port }, 'metrics listening on 127.0.0.1 (no credential)');
  return { port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

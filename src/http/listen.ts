// The network port: the app served by @hono/node-server, closed like the other listeners
// (src/local-socket.ts, src/metrics/routes.ts).
import { serve, type ServerType } from '@hono/node-server';

export interface HttpListener {
  /** The port actually bound (useful with WGNODE_PORT=0). */
  port: number;
  close(): Promise<void>;
}

export async function listenHttp(options: { fetch: (request: Request) => Response | Promise<Response>; host: string; port: number }): Promise<HttpListener> {
  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve({ fetch: options.fetch, hostname: options.host, port: options.port }, () => (s.off('error', reject), resolve(s)));
    s.once('error', reject);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return { port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

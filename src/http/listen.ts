// The network port: the app served by @hono/node-server over HTTP, or HTTPS (optionally mutual
// TLS) when WGNODE_TLS_* name the files; closed like the other listeners (src/local-socket.ts,
// src/metrics/routes.ts).
import { serve, type ServerType } from '@hono/node-server';
import type { TlsFiles } from '../config.js';
import type { Logger } from '../logger.js';
import { certificateFields, readTlsMaterial, tlsServeOptions, warnIfPlainHttpExposed, watchTlsFiles } from './tls.js';

export interface HttpListener {
  /** The port actually bound (useful with WGNODE_PORT=0). */
  port: number;
  /** The served certificate's subject, issuer, serial and expiry; false for plain HTTP. */
  tls: ReturnType<typeof certificateFields> | false;
  close(): Promise<void>;
}

export interface HttpListenOptions {
  fetch: (request: Request) => Response | Promise<Response>;
  host: string;
  port: number;
  /** HTTPS from these files (reloaded when they change); null = plain HTTP. */
  tls: TlsFiles | null;
  log: Logger;
}

export async function listenHttp(options: HttpListenOptions): Promise<HttpListener> {
  // A bad file throws a ConfigError naming its variable, before the port is bound.
  const tls = options.tls ? readTlsMaterial(options.tls) : null;
  if (!tls) warnIfPlainHttpExposed(options.host, options.log);
  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve(
      { fetch: options.fetch, hostname: options.host, port: options.port, ...(tls ? tlsServeOptions(tls) : {}) },
      () => (s.off('error', reject), resolve(s)),
    );
    s.once('error', reject);
  });
  // The watcher stops itself when the server closes.
  if (options.tls) watchTlsFiles(server, options.tls, { log: options.log });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return { port, tls: tls ? certificateFields(tls) : false, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

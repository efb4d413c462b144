// One HTTP attempt: POST a GraphQL body to a node and read the answer. node:http/https rather than
// fetch, so a node's TLS options (CA to trust, client certificate) need no extra dependency.
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export interface TlsOptions {
  /** PEM certificate(s) of the CA(s) to trust for this node, instead of the system's. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** PEM client certificate and key, for mutual TLS. */
  cert?: string | Buffer;
  key?: string | Buffer;
  /** The name to verify the node's certificate against, when it differs from the URL's host. */
  servername?: string;
}

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** The request never got an HTTP answer: refused, reset, DNS, TLS, or timed out. Always retryable. */
export class NetworkError extends Error {
  override name = 'NetworkError';
  constructor(
    message: string,
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface Transport {
  post(body: string, headers: Record<string, string>, timeoutMs: number, signal?: AbortSignal): Promise<HttpAnswer>;
  close(): void;
}

/** POSTs to `url` (the node's /graphql endpoint). One keep-alive agent per node. */
export function createHttpTransport(url: string, tls: TlsOptions = {}): Transport {
  const target = new URL(url);
  const secure = target.protocol === 'https:';
  if (!secure && target.protocol !== 'http:') throw new Error(`unsupported URL ${url}: use http: or https:`);
  const agent = secure ? new HttpsAgent({ keepAlive: true, ...tls }) : undefined;
  const send = secure ? httpsRequest : httpRequest;

  return {
    post(body, headers, timeoutMs, signal) {
      return new Promise((resolve, reject) => {
        if (signal?.aborted) return reject(new NetworkError('aborted', 'ABORTED'));
        const req = send(target, {
          method: 'POST',
          agent,
          headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
        });
        // One deadline for the whole attempt (connect, send, answer), not an idle timeout.
        const timer = setTimeout(() => req.destroy(new NetworkError(`no answer within ${timeoutMs} ms`, 'TIMEOUT')), timeoutMs);
        const onAbort = () => req.destroy(new NetworkError('aborted', 'ABORTED'));
        signal?.addEventListener('abort', onAbort, { once: true });
        req.once('close', () => signal?.removeEventListener('abort', onAbort));
        req.once('error', (error: NodeJS.ErrnoException) => {
          clearTimeout(timer);
          reject(error instanceof NetworkError ? error : new NetworkError(error.message, error.code ?? 'NETWORK', { cause: error }));
        });
        req.once('response', (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.once('error', (error) => req.destroy(error));
          res.once('end', () => {
            clearTimeout(timer);
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
          });
        });
        req.end(body);
      });
    },
    close: () => agent?.destroy(),
  };
}

// The /graphql body, read under a size limit. Under @hono/node-server, touching the web Request's
// body builds a full Request and a WHATWG ReadableStream per call: measured here, that alone
// halves a bare endpoint's throughput (7,400 → 3,700 req/s). So on Node the bytes are read from
// the IncomingMessage directly; elsewhere (app.request() in tests) hono's bodyLimit does the job.
import type { IncomingMessage } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';

export type BodyVariables = {
  /** The request body, already read under the limit (Node server only). */
  rawBody?: string;
};

export interface BodyLimitOptions {
  maxBytes: number;
  onTooLarge: (c: Context) => Response | Promise<Response>;
}

export function limitBodySize(options: BodyLimitOptions): MiddlewareHandler<{ Variables: BodyVariables }> {
  const fallback = bodyLimit({ maxSize: options.maxBytes, onError: options.onTooLarge });
  return async function limitBody(c, next) {
    const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
    if (!incoming || typeof incoming.on !== 'function') return fallback(c, next);
    if (c.req.method !== 'POST') return next();
    const declared = Number(c.req.header('content-length') ?? NaN);
    if (declared > options.maxBytes) return options.onTooLarge(c);
    const text = await readLimited(incoming, options.maxBytes);
    if (text === null) return options.onTooLarge(c);
    c.set('rawBody', text);
    return next();
  };
}

/** The body as UTF-8, or null as soon as it grows past maxBytes (the rest is not read). */
async function readLimited(incoming: IncomingMessage, maxBytes: number): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of incoming as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) return null;
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, size).toString('utf8');
}

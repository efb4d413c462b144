// The /graphql body, read under a size limit. Under @hono/node-server, touching the web Request's
// body builds a full Request and a WHATWG ReadableStream per call: measured here, that alone
// halves a bare endpoint's throughput (7,400 → 3,700 req/s). So on Node the bytes are read from
// the IncomingMessage directly; elsewhere (app.request() in tests) hono's bodyLimit does the job.
import type { IncomingMessage } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { incomingOf, requestHeader } from './incoming.js';

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
    const incoming = incomingOf(c);
    if (!incoming) return fallback(c, next);
    if (c.req.method !== 'POST') return next();
    const declared = Number(requestHeader(c, 'content-length') ?? NaN);
    if (declared > options.maxBytes) return options.onTooLarge(c);
    const text = await readLimited(incoming, options.maxBytes);
    if (text === null) return options.onTooLarge(c);
    c.set('rawBody', text);
    return next();
  };
}

/**
 * The body as UTF-8, or null as soon as it grows past maxBytes (the rest is not read). With
 * 'data' and 'end' listeners: a stream's async iterator costs more than the small body it reads.
 */
function readLimited(incoming: IncomingMessage, maxBytes: number): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const detach = () => incoming.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
    const done = (result: string | null) => {
      detach();
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        // Stop reading: what is left is not ours to buffer (the answer is 413).
        incoming.pause();
        return done(null);
      }
      chunks.push(chunk);
    };
    const onEnd = () => done(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, size).toString('utf8'));
    const onError = (error: Error) => {
      detach();
      reject(error);
    };
    // The client went away before the end: the same as a stream error to the caller.
    const onClose = () => {
      if (!incoming.complete) onError(new Error('request closed before its body ended'));
    };
    incoming.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}

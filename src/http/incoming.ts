// Request headers without building a web Request. Under @hono/node-server, the first look at
// c.req.header() or c.req.raw.headers copies every header of the Node request into an undici
// Headers object (measured: ~6 µs a request, more than the lookups it serves). Node has parsed
// them already: read them there. Elsewhere (app.request() in tests, another runtime) Hono's own.
import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';

/** The Node request behind c, when served by @hono/node-server. */
export function incomingOf(c: Context): IncomingMessage | undefined {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  return incoming && typeof incoming.on === 'function' ? incoming : undefined;
}

/** One request header (name in lower case); repeated headers joined as the Fetch API joins them. */
export function requestHeader(c: Context, name: string): string | undefined {
  const incoming = incomingOf(c);
  if (!incoming) return c.req.header(name);
  const value = incoming.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** The request's headers as the GraphQL handler reads them (by name, null when absent). */
export function requestHeaders(c: Context): { get(name: string): string | null } {
  return { get: (name) => requestHeader(c, name.toLowerCase()) ?? null };
}

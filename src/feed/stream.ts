// The change feed live, as plain Server-Sent Events on Hono (GET /changes/stream): the same rows
// and cursors as the `changes` query, one `change` event each (id: its cursor), so an
// EventSource, or any client that resends Last-Event-ID, resumes where it stopped.
// Chosen over graphql-sse: a follower needs one fixed stream, not arbitrary subscriptions, and
// plain SSE needs no new dependency and no GraphQL client on the control plane's side.
//
// Memory and mutations: a stream holds no queue. A commit that appended rows only flags the
// streams awake (registry.changes.subscribe); each stream then reads its next rows from the
// registry and writes them one at a time, awaiting the socket. A write that does not drain within
// writeTimeoutMs (a slow or dead consumer) closes the stream; the client resumes from its cursor.
import type { Env, Hono } from 'hono';
import { streamSSE, type SSEStreamingApi } from 'hono/streaming';
import { bearerAuth } from '../auth/bearer.js';
import type { Authenticator, Principal } from '../auth/principal.js';
import type { Logger } from '../logger.js';
import { DomainError } from '../sessions/index.js';
import { feedId } from './cursor.js';
import { changeView, startingSeq, type FeedRegistry } from './feed.js';

export interface ChangeStreamOptions {
  registry: FeedRegistry;
  authenticate: Authenticator;
  log: Logger;
  /** A comment line this often keeps proxies and the client's idle timers from closing the stream (default 15 s). */
  keepAliveMs?: number;
  /** A write that has not drained after this long closes the stream (default 10 s). */
  writeTimeoutMs?: number;
  /** Streams open at once; more answer 503 (default 1000). */
  maxStreams?: number;
  /** Rows read per registry read (default 200). */
  batchSize?: number;
  /** Sees streams open and close (metrics). */
  onStreamCount?: (open: number) => void;
}

export interface ChangeStreams {
  /** Open streams now. */
  count(): number;
  /** Ends every stream (shutdown): clients reconnect with their cursor. */
  closeAll(): void;
}

class SlowConsumer extends Error {}

export function mountChangeStream<E extends Env>(app: Hono<E>, options: ChangeStreamOptions): ChangeStreams {
  const { registry, log } = options;
  const keepAliveMs = options.keepAliveMs ?? 15_000;
  const writeTimeoutMs = options.writeTimeoutMs ?? 10_000;
  const maxStreams = options.maxStreams ?? 1000;
  const batchSize = options.batchSize ?? 200;
  const open = new Set<() => void>();
  const counted = () => options.onStreamCount?.(open.size);

  app.get('/changes/stream', bearerAuth({ authenticate: options.authenticate }), (c) => {
    const { scopes } = c.get('principal') as Principal;
    if (!scopes.has('read') && !scopes.has('admin')) {
      return c.json({ errors: [{ message: 'This operation needs the read scope', extensions: { code: 'FORBIDDEN' } }] }, 403, {
        'WWW-Authenticate': 'Bearer realm="wgnode", error="insufficient_scope", scope="read admin"',
      });
    }
    let seq: number;
    try {
      seq = startingSeq(registry, c.req.query('after') ?? c.req.header('last-event-id'));
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      return c.json({ errors: [{ message: error.message, extensions: { code: error.code } }] }, 400);
    }
    if (open.size >= maxStreams) {
      return c.json({ errors: [{ message: 'Too many change streams are open; retry later', extensions: { code: 'UNAVAILABLE' } }] }, 503, { 'Retry-After': '5' });
    }
    // Under @hono/node-server the raw response: destroying it frees a socket that stopped reading.
    const outgoing = (c.env as { outgoing?: { destroy(): void } } | undefined)?.outgoing;

    return streamSSE(c, async (stream) => {
      let closed = false;
      let pending = true;
      let wake: (() => void) | null = null;
      const close = () => {
        closed = true;
        wake?.();
      };
      const unsubscribe = registry.changes.subscribe(() => {
        pending = true;
        wake?.();
      });
      stream.onAbort(close);
      open.add(close);
      counted();
      const id = feedId(registry);
      try {
        while (!closed && !stream.aborted) {
          if (pending) {
            pending = false;
            // Retention may have passed a stream that fell far behind: it must resync, not skip.
            if (registry.changes.check(seq) !== 'ok') {
              await within(stream.writeSSE({ event: 'resync', data: JSON.stringify({ code: 'RESYNC_REQUIRED' }) }), writeTimeoutMs);
              break;
            }
            const rows = registry.changes.after(seq, batchSize);
            for (const row of rows) {
              const view = changeView(row, id);
              await within(stream.writeSSE({ id: view.cursor, event: 'change', data: JSON.stringify(view) }), writeTimeoutMs);
              seq = row.seq;
              if (closed) break;
            }
            if (rows.length === batchSize) pending = true;
            if (pending) continue;
          }
          const woke = await new Promise<boolean>((resolve) => {
            const timer = setTimeout(() => resolve(false), keepAliveMs);
            wake = () => {
              clearTimeout(timer);
              resolve(true);
            };
          });
          wake = null;
          if (!woke && !closed) await within(stream.write(': keep-alive\n\n'), writeTimeoutMs);
        }
      } catch (error) {
        if (!(error instanceof SlowConsumer)) throw error;
        log.warn({ writeTimeoutMs }, 'change stream: the client did not read for too long; closed (it resumes from its cursor)');
        abort(stream, outgoing);
      } finally {
        unsubscribe();
        open.delete(close);
        counted();
      }
    });
  });

  return {
    count: () => open.size,
    closeAll() {
      for (const close of open) close();
    },
  };
}

/** Rejects with SlowConsumer when the write has not drained in time. */
async function within(write: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([write, new Promise((_, reject) => (timer = setTimeout(() => reject(new SlowConsumer()), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

function abort(stream: SSEStreamingApi, outgoing: { destroy(): void } | undefined): void {
  stream.abort();
  outgoing?.destroy();
}

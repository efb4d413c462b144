import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { mountChangeStream } from '../../src/feed/stream.js';
import { silentLogger } from '../../src/logger.js';
import { ADMIN_TOKEN, createHarness, DISCONNECT, READ_TOKEN, seedDevice, type Harness } from '../support/harness.js';
import { testKey } from '../support/keys.js';

interface SseEvent {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
}

/** Reads SSE frames from a response body until `done` says enough (or the stream ends). */
function sseReader(res: Response) {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const events: SseEvent[] = [];
  let ended = false;
  async function until(done: (events: SseEvent[]) => boolean): Promise<SseEvent[]> {
    while (!done(events) && !ended) {
      const { value, done: finished } = await reader.read();
      if (finished) {
        ended = true;
        break;
      }
      buffer += decoder.decode(value, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const event: SseEvent = {};
        for (const line of frame.split('\n')) {
          if (line.startsWith(':')) event.comment = line.slice(1).trim();
          else {
            const [key, ...rest] = line.split(': ');
            (event as Record<string, string>)[key!] = rest.join(': ');
          }
        }
        events.push(event);
      }
    }
    return events;
  }
  return { until, cancel: () => reader.cancel(), ended: () => ended };
}

const changeEvents = (events: SseEvent[]) => events.filter((e) => e.event === 'change').map((e) => JSON.parse(e.data!) as { kind: string; cursor: string });

function open(h: Harness, options: { after?: string; lastEventId?: string; token?: string | null } = {}) {
  const headers: Record<string, string> = {};
  if (options.token !== null) headers.authorization = `Bearer ${options.token ?? READ_TOKEN}`;
  if (options.lastEventId) headers['last-event-id'] = options.lastEventId;
  const query = options.after ? `?after=${encodeURIComponent(options.after)}` : '';
  return h.app.request(`/changes/stream${query}`, { headers });
}

describe('SSE change stream', () => {
  it('sends the feed with each change cursor as the event id, then new changes as they commit', async () => {
    const h = createHarness();
    await seedDevice(h, 1, 1, [testKey(1)]);
    const res = await open(h);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const sse = sseReader(res);
    let events = await sse.until((e) => changeEvents(e).length >= 2);
    expect(changeEvents(events).map((c) => c.kind)).toEqual(['DEVICE_ACTIVATED', 'SESSION_STARTED']);
    expect(events.filter((e) => e.event === 'change').map((e) => e.id)).toEqual(changeEvents(events).map((c) => c.cursor));
    expect((await h.gql(DISCONNECT, { userId: 1, deviceId: 1 }, ADMIN_TOKEN)).status).toBe(200);
    events = await sse.until((e) => changeEvents(e).length >= 4);
    expect(changeEvents(events).map((c) => c.kind).slice(2)).toEqual(['SESSION_ENDING', 'SESSION_ENDED']);
    await sse.cancel();
    await h.agent.stop();
  });

  it('resumes after the cursor in Last-Event-ID (or ?after=) without repeating a change', async () => {
    const h = createHarness();
    await seedDevice(h, 1, 1, [testKey(1), testKey(2)]);
    const first = sseReader(await open(h));
    const seen = changeEvents(await first.until((e) => changeEvents(e).length >= 3));
    await first.cancel();
    for (const resume of [{ lastEventId: seen[1]!.cursor }, { after: seen[1]!.cursor }]) {
      const again = sseReader(await open(h, resume));
      expect(changeEvents(await again.until((e) => changeEvents(e).length >= 1)).map((c) => c.cursor)).toEqual([seen[2]!.cursor]);
      await again.cancel();
    }
    await h.agent.stop();
  });

  it('needs a credential with the read scope, and refuses a cursor it cannot follow with RESYNC_REQUIRED', async () => {
    const h = createHarness();
    expect((await open(h, { token: null })).status).toBe(401);
    const other = createHarness();
    await seedDevice(other, 1, 1, []);
    const foreign = (await other.gql(`{ changes { nodes { cursor } } }`)).body.data.changes.nodes[0].cursor as string;
    const res = await open(h, { lastEventId: foreign });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code).toBe('RESYNC_REQUIRED');

    const app = new Hono();
    mountChangeStream(app, {
      registry: h.registry,
      log: silentLogger,
      authenticate: (token) => (token === 'no-scope' ? { name: 'x', scopes: new Set(['other']) } : null),
    });
    const forbidden = await app.request('/changes/stream', { headers: { authorization: 'Bearer no-scope' } });
    expect(forbidden.status).toBe(403);
  });

  it('sends keep-alive comments while nothing changes', async () => {
    const h = createHarness();
    const app = new Hono();
    mountChangeStream(app, { registry: h.registry, log: silentLogger, keepAliveMs: 20, authenticate: () => ({ name: 'r', scopes: new Set(['read']) }) });
    const sse = sseReader(await app.request('/changes/stream', { headers: { authorization: 'Bearer r' } }));
    const events = await sse.until((e) => e.filter((x) => x.comment === 'keep-alive').length >= 2);
    expect(events.filter((x) => x.comment === 'keep-alive').length).toBeGreaterThanOrEqual(2);
    await sse.cancel();
  });

  it('closes the stream of a consumer that stops reading, and mutations go on meanwhile', async () => {
    const h = createHarness();
    const app = new Hono();
    const streams = mountChangeStream(app, {
      registry: h.registry,
      log: silentLogger,
      writeTimeoutMs: 50,
      batchSize: 5,
      authenticate: () => ({ name: 'r', scopes: new Set(['read']) }),
    });
    const res = await app.request('/changes/stream', { headers: { authorization: 'Bearer r' } });
    expect(res.status).toBe(200);
    expect(streams.count()).toBe(1);
    // Never read: the writes back up, the stream is dropped, and every mutation still answers.
    for (let device = 1; device <= 20; device++) await seedDevice(h, device, 1, []);
    await new Promise<void>((resolve) => {
      const check = () => (streams.count() === 0 ? resolve() : setTimeout(check, 10));
      check();
    });
    expect(streams.count()).toBe(0);
    expect((await h.gql(`{ changes(first: 500) { nodes { kind } } }`)).body.data.changes.nodes).toHaveLength(20);
  });

  it('ends open streams when the agent stops, and counts them in the metrics meanwhile', async () => {
    const h = createHarness();
    await seedDevice(h, 1, 1, []);
    const sse = sseReader(await open(h));
    expect(h.agent.changeStreams()!.count()).toBe(1);
    const metrics = await h.app.request('/metrics', { headers: { authorization: `Bearer ${READ_TOKEN}` } });
    const text = await metrics.text();
    expect(text).toMatch(/^wgnode_change_streams 1$/m);
    expect(text).toMatch(/^wgnode_changes_last_seq 1$/m);
    await h.agent.stop();
    await sse.until(() => false);
    expect(sse.ended()).toBe(true);
  });
});

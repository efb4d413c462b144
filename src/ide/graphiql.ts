// A GraphQL IDE for people (WGNODE_GRAPHIQL=true): a browser opening GET /graphql gets Ruru
// (GraphiQL, bundled by the `ruru` package), served entirely by the node from the files the build
// extracted from Ruru (./assets.ts) — no CDN, the node may have no internet. The page and its
// assets are static and need no token; the queries the page sends carry the operator's bearer
// token like any other client's.
import type { Context, Hono } from 'hono';
import { loadIdeAssets } from './assets.js';
import { bootModule, monacoEnvModule, PAGE_CSP, PAGE_CSS, pageHtml } from './page.js';

const BASE = '/ide/';

export function mountGraphiQL<E extends { Variables: { operation: string } }>(app: Hono<E>): void {
  // Versioned asset path: an upgrade changes the URL, so assets can be cached as immutable.
  const files = loadIdeAssets();
  const assets = `${BASE}ruru-${files.version}/`;
  const html = pageHtml(BASE, assets);
  const own: Record<string, { body: string; type: string }> = {
    [`${BASE}boot.js`]: { body: bootModule(BASE, assets), type: 'text/javascript; charset=utf-8' },
    [`${BASE}monaco-env.js`]: { body: monacoEnvModule(assets), type: 'text/javascript; charset=utf-8' },
    [`${BASE}page.css`]: { body: PAGE_CSS, type: 'text/css; charset=utf-8' },
  };

  app.get('/graphql', async (c, next) => {
    // Only a browser navigating here; GraphQL clients (and their GET queries) go on to /graphql.
    if (!(c.req.header('accept') ?? '').includes('text/html')) return next();
    c.set('operation', 'ide');
    return c.body(html, 200, {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': PAGE_CSP,
      'cache-control': 'no-store',
      ...HARDENING,
    });
  });

  app.get(`${BASE}*`, async (c) => {
    const path = c.req.path;
    const mine = own[path];
    if (mine) return c.body(mine.body, 200, { 'content-type': mine.type, 'cache-control': 'no-cache', ...HARDENING });
    if (!path.startsWith(assets)) return c.notFound();
    const file = await files.get(path.slice(assets.length), c.req.header('accept-encoding'));
    if (!file) return c.notFound();
    return staticResponse(c, file.content, file.headers);
  });
}

const HARDENING = { 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'x-frame-options': 'DENY' };

function staticResponse(c: Context, content: Buffer, headers: Record<string, string>): Response {
  const common = { etag: headers.etag ?? '', 'cache-control': 'public, max-age=31536000, immutable', vary: 'accept-encoding', ...HARDENING };
  if (headers.etag && c.req.header('if-none-match') === headers.etag) return new Response(null, { status: 304, headers: common });
  return new Response(new Uint8Array(content.buffer, content.byteOffset, content.byteLength), { status: 200, headers: { ...headers, ...common } });
}

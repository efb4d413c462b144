// The GraphQL IDE's HTTP surface (WGNODE_GRAPHIQL): off by default; when on, a static page with a
// self-only CSP and its assets, served from the files the build extracted from Ruru, with types and cache headers, while
// GraphQL requests to the same URL still need a token.
import { describe, expect, it } from 'vitest';
import { createHarness, READ_TOKEN } from '../support/harness.js';
import { sampleValue } from '../support/prometheus.js';

const HTML = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };

async function assetPath(app: ReturnType<typeof createHarness>['app']): Promise<string> {
  const boot = await (await app.request('/ide/boot.js')).text();
  const match = /"(\/ide\/ruru-[^/"]+\/)ruru\.js"/.exec(boot);
  if (!match) throw new Error(`boot.js names no ruru.js: ${boot}`);
  return match[1]!;
}

describe('GraphQL IDE: off by default', () => {
  it('answers a browser at /graphql like any caller without a token (401), and serves no assets', async () => {
    const h = createHarness();
    const page = await h.app.request('/graphql', { headers: HTML });
    expect(page.status).toBe(401);
    expect((await h.app.request('/ide/boot.js')).status).toBe(404);
  });
});

describe('GraphQL IDE: WGNODE_GRAPHIQL=true', () => {
  const h = createHarness({ env: { WGNODE_GRAPHIQL: 'true' } });

  it('serves the page to a browser without a token, with a self-only CSP and no inline script', async () => {
    const res = await h.app.request('/graphql', { headers: HTML });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*(unsafe-inline|unsafe-eval|https?:)/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await res.text();
    expect(html).toContain('<script type="module" src="/ide/boot.js"></script>');
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).not.toMatch(/https?:\/\//);
    const metrics = await (await h.app.request('/metrics', { headers: { authorization: `Bearer ${READ_TOKEN}` } })).text();
    expect(sampleValue(metrics, 'wgnode_request_duration_seconds_count', { operation: 'ide', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
  });

  it('still sends GraphQL requests (GET or POST) through bearer auth', async () => {
    expect((await h.app.request('/graphql?query=%7Bnode%7Binterface%7D%7D', { headers: { accept: 'application/json' } })).status).toBe(401);
    const post = await h.app.request('/graphql', { method: 'POST', headers: { ...HTML, 'content-type': 'application/json' }, body: '{"query":"{ node { interface } }"}' });
    expect(post.status).toBe(401);
  });

  it('serves its own modules and Ruru’s bundle (extracted at build), with types and cache headers', async () => {
    const boot = await h.app.request('/ide/boot.js');
    expect(boot.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(boot.headers.get('cache-control')).toBe('no-cache');
    const assets = await assetPath(h.app);

    const js = await h.app.request(`${assets}ruru.js`, { headers: { 'accept-encoding': 'gzip, deflate, br' } });
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('content-encoding')).toBe('br');
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(js.headers.get('vary')).toBe('accept-encoding');
    const etag = js.headers.get('etag')!;
    expect(etag).toMatch(/^"sha256-/);

    const plain = await h.app.request(`${assets}ruru.css`);
    expect(plain.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect((await plain.text()).length).toBeGreaterThan(1000);

    const again = await h.app.request(`${assets}ruru.js`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
  });

  it('answers 404 for anything else under /ide/, source maps included', async () => {
    const assets = await assetPath(h.app);
    for (const path of [`${assets}ruru.js.map`, `${assets}nope.js`, '/ide/ruru-0.0.0/ruru.js', '/ide/', `${assets}..%2f..%2fpackage.json`]) {
      expect((await h.app.request(path)).status, path).toBe(404);
    }
  });
});

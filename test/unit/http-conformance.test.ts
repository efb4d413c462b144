// graphql-http's own GraphQL-over-HTTP audit suite, run against the composed app through
// app.request() with an admin credential. No MUST may fail; the SHOULD warnings that remain are
// the contract's deliberate 4xx answers for request errors (README, "Security").
import { serverAudits, type AuditResult } from 'graphql-http';
import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createHarness } from '../support/harness.js';

/** SHOULD answer 200 with application/json for parse, validation and variable-coercion errors: the contract wants 400. */
const EXPLAINED_WARNINGS = ['572B', 'FDE2', '7B9B'];
/** The audits that query `__type`: with introspection off (the default) they are refused by design. */
const INTROSPECTION_AUDITS = ['BF61', '28B9', '2EA1', 'D6D5', '6A70'];

async function audit(env: Record<string, string>): Promise<{ results: AuditResult[]; bodies: Map<string, string> }> {
  const h = createHarness({ env });
  const fetchFn = (input: string | URL | Request, init?: RequestInit) => {
    const request = new Request(input, init);
    const headers = new Headers(request.headers);
    headers.set('authorization', `Bearer ${ADMIN_TOKEN}`);
    return h.app.request(new Request(request, { headers }));
  };
  const results: AuditResult[] = [];
  const bodies = new Map<string, string>();
  for (const { fn } of serverAudits({ url: 'http://localhost/graphql', fetchFn })) {
    const result = await fn();
    results.push(result);
    if (result.status !== 'ok') bodies.set(result.id, await result.response.clone().text().catch(() => ''));
  }
  return { results, bodies };
}

const ids = (results: AuditResult[], status: AuditResult['status']) => results.filter((r) => r.status === status).map((r) => r.id).sort();

describe('GraphQL over HTTP conformance (graphql-http serverAudits)', () => {
  it('passes every MUST with introspection on; the only warnings are the contract\'s 4xx', async () => {
    const { results } = await audit({ WGNODE_INTROSPECTION: 'true' });
    expect(results.length).toBeGreaterThan(40);
    expect(results.filter((r) => r.status === 'error').map((r) => `${r.id} ${r.name}`)).toEqual([]);
    expect(ids(results, 'warn')).toEqual([...EXPLAINED_WARNINGS].sort());
    expect(ids(results, 'notice')).toEqual([]);
  });

  it('with introspection off, fails only the audits whose query is introspection, and says why', async () => {
    const { results, bodies } = await audit({});
    const failing = results.filter((r) => r.status !== 'ok' && !EXPLAINED_WARNINGS.includes(r.id));
    expect(failing.map((r) => r.id).sort()).toEqual([...INTROSPECTION_AUDITS].sort());
    for (const r of failing) {
      expect(bodies.get(r.id)).toMatch(/GraphQL introspection has been disabled/);
    }
  });
});

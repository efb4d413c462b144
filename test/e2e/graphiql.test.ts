// The GraphQL IDE in a real browser (Debian's chromium, driven by playwright-core): a real server
// with WGNODE_GRAPHIQL=true; the page loads without a token, the operator pastes a token into
// the headers editor, runs the default query, and the node's data shows in the page. The
// browser may talk to this server only: any other request is aborted and fails the test.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../src/auth/static-tokens.js';
import { loadConfig } from '../../src/config.js';
import { startServer, type RunningAgent } from '../../src/server.js';
import { silentLogger } from '../../src/logger.js';
import { FakeRunner } from '../support/fake-runner.js';
import { testKey } from '../support/keys.js';

// CHROMIUM_PATH: another chromium build (and a way to check the skip / CI-failure paths).
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const TOKEN = 'ide-operator-token-0123456789';
const problem = existsSync(CHROMIUM) ? null : `${CHROMIUM} is missing (bash scripts/install-system-deps.sh installs it)`;
// Skipping is for a developer's machine; CI must run this test, so there the missing browser fails it.
const inCi = Boolean(process.env.CI) && process.env.CI !== 'false';
const skip = problem !== null && !inCi;
if (skip) console.warn(`graphiql e2e skipped: ${problem}`);

describe.skipIf(skip)('GraphQL IDE in a browser', () => {
  let running: RunningAgent;
  let context: BrowserContext;
  let profile: string;
  const foreign: string[] = [];
  const pageErrors: string[] = [];
  const cspViolations: string[] = [];

  beforeAll(async () => {
    if (problem) throw new Error(problem);
    running = await startServer(
      loadConfig({ WGNODE_DB: ':memory:', WGNODE_HOST: '127.0.0.1', WGNODE_PORT: '0', WGNODE_SOCKET: 'off', WGNODE_GRAPHIQL: 'true' }),
      { runner: new FakeRunner(), log: silentLogger, tokens: [{ name: 'operator', sha256: hashToken(TOKEN), scopes: ['admin'] }] },
    );
    // One ACTIVE session, so the default query's sessions part has something to show.
    const gql = (query: string) =>
      running.agent.app.request('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify({ query }),
      });
    expect((await gql('mutation { activateDevice(userId: 7, deviceId: 1) { status } }')).status).toBe(200);
    expect((await gql(`mutation { connectDevice(userId: 7, deviceId: 1, publicKey: "${testKey(1)}") { id } }`)).status).toBe(200);

    profile = mkdtempSync(join(tmpdir(), 'wgnode-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    await context.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.protocol === 'data:' || url.protocol === 'blob:' || url.hostname === '127.0.0.1') return route.continue();
      foreign.push(url.href);
      return route.abort();
    });
  });

  afterAll(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await running?.agent.stop();
  });

  it('loads without a token, runs a query with the pasted token, and shows the answer', async () => {
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    const graphqlPosts: { authorized: boolean; status: number }[] = [];
    page.on('response', (response) => {
      const request = response.request();
      if (request.method() === 'POST' && new URL(request.url()).pathname === '/graphql') {
        graphqlPosts.push({ authorized: request.headers().authorization === `Bearer ${TOKEN}`, status: response.status() });
      }
    });

    const response = await page.goto(`http://127.0.0.1:${running.port}/graphql`);
    expect(response?.status()).toBe(200);
    const execute = page.locator('.graphiql-execute-button');
    await execute.waitFor({ state: 'visible', timeout: 30_000 });

    // The headers editor (open by default) holds a placeholder; replace it with the token.
    const headersEditor = page.locator('.graphiql-editor-tool .graphiql-editor').filter({ hasText: 'PASTE-YOUR-TOKEN' });
    await headersEditor.click();
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText(JSON.stringify({ Authorization: `Bearer ${TOKEN}` }));
    await execute.click();

    // The result pane is an editor: its text comes with non-breaking spaces; compare words.
    const resultText = async () => (await page.locator('.result-window').innerText()).replace(/\s+/g, ' ');
    await expect.poll(resultText, { timeout: 20_000 }).toContain('"interface": "wg0"');
    const shown = await resultText();
    expect(shown).toContain('"totalCount": 1');
    expect(shown).toContain('"address": "10.64.0.2"');
    expect(shown).toContain('"userId": 7');
    expect(graphqlPosts.some((p) => p.authorized && p.status === 200)).toBe(true);

    expect(foreign).toEqual([]);
    expect(cspViolations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});

// Preshared keys: they reach wg through a private file that is gone afterwards, never through an
// argv, a log line, an error or a query result; they are stored sealed and restored with the peer.
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createAgent } from '../../src/agent.js';
import { hashToken } from '../../src/auth/static-tokens.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { createPresharedKeySealer } from '../../src/preshared-keys.js';
import { parseDump } from '../../src/wireguard/dump.js';
import { FakeRunner } from '../support/fake-runner.js';
import { ACTIVATE, createHarness } from '../support/harness.js';
import { testKey } from '../support/keys.js';

const PSK = randomBytes(32).toString('base64');
const CONNECT_PSK = `mutation ($publicKey: String!, $psk: String) {
  connectDevice(userId: 1, deviceId: 1, publicKey: $publicKey, presharedKey: $psk) { id status hasPresharedKey }
}`;
const TOKEN = 'psk-test-admin-token-0123456789';

/** An agent whose log lines (at debug, the most talkative level) land in `raw`. */
function capturedAgent() {
  const raw: string[] = [];
  const runner = new FakeRunner();
  const agent = createAgent(loadConfig({ WGNODE_DB: ':memory:', WGNODE_SESSIONS_PER_DEVICE: '0' }), {
    runner,
    log: createLogger({ level: 'trace', destination: { write: (chunk: string) => void raw.push(chunk) } }),
    tokens: [{ name: 'ops-admin', sha256: hashToken(TOKEN), scopes: ['admin'] }],
  });
  async function gql(query: string, variables: Record<string, unknown> = {}) {
    const res = await agent.app.request('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ query, variables }),
    });
    return { status: res.status, text: await res.text() };
  }
  return { agent, runner, raw, gql };
}

describe('preshared keys', () => {
  it('reach wg as a file that is removed once wg exits; the argv names the file, never the key', async () => {
    const h = createHarness();
    await h.gql(ACTIVATE, { userId: 1, deviceId: 1 });
    const res = await h.gql(CONNECT_PSK, { publicKey: testKey(1), psk: PSK });
    expect(res.body.data.connectDevice).toEqual({ id: '1', status: 'ACTIVE', hasPresharedKey: true });
    expect(h.runner.peers.get(testKey(1))?.presharedKey).toBe(PSK); // wg got it
    const [call] = h.runner.setCalls();
    expect(call!.slice(0, 7)).toEqual(['wg', 'set', 'wg0', 'peer', testKey(1), 'allowed-ips', '10.64.0.2/32']);
    expect(call![7]).toBe('preshared-key');
    expect(h.runner.calls.flat().join(' ')).not.toContain(PSK);
    expect(h.runner.presharedKeyFiles).toHaveLength(1);
    expect(existsSync(h.runner.presharedKeyFiles[0]!)).toBe(false);
  });

  it('never appear in a query result, the registry or a dump as the node sees it', async () => {
    const h = createHarness();
    await h.gql(ACTIVATE, { userId: 1, deviceId: 1 });
    await h.gql(CONNECT_PSK, { publicKey: testKey(1), psk: PSK });
    const listed = await h.gql(`{ sessions { nodes { id publicKey hasPresharedKey expiresAt } } }`);
    expect(listed.body.data.sessions.nodes).toEqual([{ id: '1', publicKey: testKey(1), hasPresharedKey: true, expiresAt: null }]);
    expect(JSON.stringify(h.registry.contents())).not.toContain(PSK);
    expect(JSON.stringify(h.registry.sessions.get(1))).not.toContain(PSK);
    // wg prints the key in a dump's peer lines: the parser drops it like the private key.
    const dump = (await h.runner.run('wg', ['show', 'wg0', 'dump'])).stdout;
    expect(dump).toContain(PSK);
    expect(JSON.stringify(parseDump(dump))).not.toContain(PSK);
  });

  it('are checked like public keys, and a refusal never repeats the value', async () => {
    const h = createHarness();
    await h.gql(ACTIVATE, { userId: 1, deviceId: 1 });
    const bad = `${PSK.slice(0, 40)}; rm -rf /`;
    const res = await h.gql(CONNECT_PSK, { publicKey: testKey(1), psk: bad });
    expect(res.body.errors[0].extensions.code).toBe('INVALID_PRESHARED_KEY');
    expect(res.text).not.toContain(PSK.slice(0, 40));
    expect(h.runner.setCalls()).toEqual([]);
  });

  it('never reach a log line, not even when wg fails', async () => {
    const a = capturedAgent();
    await a.gql(ACTIVATE, { userId: 1, deviceId: 1 });
    a.runner.failWhen = (argv) => argv.includes('set');
    const failed = await a.gql(CONNECT_PSK, { publicKey: testKey(1), psk: PSK });
    expect(failed.status).toBe(503);
    a.runner.failWhen = null;
    const ok = await a.gql(CONNECT_PSK, { publicKey: testKey(2), psk: PSK });
    expect(ok.status).toBe(200);
    await a.agent.reconciler.runOnce();
    expect(a.raw.length).toBeGreaterThan(0);
    expect(a.raw.join('')).not.toContain(PSK);
    expect(failed.text + ok.text).not.toContain(PSK);
  });

  it('come back with the peer when the reconciler restores it after an interface restart', async () => {
    const h = createHarness();
    await h.gql(ACTIVATE, { userId: 1, deviceId: 1 });
    await h.gql(CONNECT_PSK, { publicKey: testKey(1), psk: PSK });
    await h.gql(CONNECT_PSK, { publicKey: testKey(2) });
    h.runner.peers.clear(); // the interface was recreated empty
    const report = await h.agent.reconciler.runOnce();
    expect(report).toMatchObject({ ok: true, restoredPeers: 2 });
    expect(h.runner.peers.get(testKey(1))?.presharedKey).toBe(PSK);
    expect(h.runner.peers.get(testKey(2))?.presharedKey).toBeUndefined();
    expect(h.runner.calls.flat().join(' ')).not.toContain(PSK);
    for (const path of h.runner.presharedKeyFiles) expect(existsSync(path)).toBe(false);
  });
});

describe('the preshared-key sealer', () => {
  it('opens only what it sealed, for the same public key, under the same node key', () => {
    const sealer = createPresharedKeySealer(randomBytes(32));
    const sealed = sealer.seal(PSK, testKey(1));
    expect(sealed).not.toContain(PSK);
    expect(sealer.open(sealed, testKey(1))).toBe(PSK);
    expect(() => sealer.open(sealed, testKey(2))).toThrow();
    expect(() => createPresharedKeySealer(randomBytes(32)).open(sealed, testKey(1))).toThrow();
  });
});

// Composes the real agent (src/agent.ts) around an in-memory registry and the fake runner, and
// gives tests a one-line way to send GraphQL through app.request().
import { createAgent } from '../../src/agent.js';
import { hashToken } from '../../src/auth/static-tokens.js';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/logger.js';
import { FakeRunner } from './fake-runner.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';
export const READ_TOKEN = 'test-read-token-0123456789';

export interface HarnessOptions {
  env?: Record<string, string>;
  now?: () => number;
  /**
   * A registry that has never managed this interface (a first start, a wrong WGNODE_DB). By
   * default the registry already manages the fake interface, as on a node that ran before: only
   * then are unknown peers removed (docs/operations.md, "First start on a live node").
   */
  firstStart?: boolean;
}

export function createHarness(options: HarnessOptions = {}) {
  // Several keys per device, as before rotation (WGNODE_SESSIONS_PER_DEVICE=0): the older tests rely on it; rotation tests set 1.
  const config = loadConfig({ WGNODE_DB: ':memory:', WGNODE_SESSIONS_PER_DEVICE: '0', ...options.env });
  const runner = new FakeRunner();
  const agent = createAgent(config, {
    runner,
    log: silentLogger,
    now: options.now,
    // Beside whatever credentials options.env configures (tokens file, JWT): the config drives auth.
    tokens: [
      { name: 'admin-token', sha256: hashToken(ADMIN_TOKEN), scopes: ['admin'] },
      { name: 'monitor', sha256: hashToken(READ_TOKEN), scopes: ['read'] },
    ],
  });
  const { registry, wireguard, service, app } = agent;
  if (!options.firstStart) {
    registry.ownership.takeOver({ name: config.interfaceName, publicKey: runner.publicKey }, (options.now ?? Date.now)(), 'test-harness');
  }

  async function gql(query: string, variables?: Record<string, unknown>, token: string | null = ADMIN_TOKEN) {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token !== null) headers.authorization = `Bearer ${token}`;
    const res = await app.request('/graphql', { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
    const text = await res.text();
    return { status: res.status, body: JSON.parse(text), text, headers: res.headers };
  }

  return { config, runner, agent, registry, wireguard, service, app, gql };
}

export type Harness = ReturnType<typeof createHarness>;

export { DEACTIVATE, DISCONNECT } from '../../src/testbed/contract-requests.js';
export const ACTIVATE = `mutation ($userId: Int!, $deviceId: Int!) { activateDevice(userId: $userId, deviceId: $deviceId) { userId deviceId status activatedAt deactivatedAt } }`;
export const CONNECT = `mutation ($userId: Int!, $deviceId: Int!, $publicKey: String!) { connectDevice(userId: $userId, deviceId: $deviceId, publicKey: $publicKey) { id userId deviceId publicKey address allowedIps status startedAt online } }`;

/** Activates a device and connects the given keys; returns the session ids. */
export async function seedDevice(h: Harness, userId: number, deviceId: number, keys: string[]): Promise<string[]> {
  const activated = await h.gql(ACTIVATE, { userId, deviceId });
  if (activated.status !== 200) throw new Error(`seed activate failed: ${activated.text}`);
  const ids: string[] = [];
  for (const publicKey of keys) {
    const connected = await h.gql(CONNECT, { userId, deviceId, publicKey });
    if (connected.status !== 200) throw new Error(`seed connect failed: ${connected.text}`);
    ids.push(connected.body.data.connectDevice.id);
  }
  return ids;
}

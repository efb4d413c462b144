// What the benchmark's agents share: credentials, the pool, and the settings that would
// otherwise measure something else (the per-credential rate limit would answer 429 to a load
// test; the operator socket and logs are off).
import { parseCidr } from '../../src/net.js';

export const TOKEN = 'bench-admin-token-0123456789';
export const POOL = parseCidr('10.64.0.0/14');
/** The tunnel address of user i's session (user 0 would be the interface's own address). */
export const addressOf = (user: number) => POOL.first + user;
export const allowedIpsOf = (user: number) => {
  const a = addressOf(user);
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}/32`;
};

export function agentEnv(dbPath: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    WGNODE_DB: dbPath,
    WGNODE_ADMIN_TOKEN: TOKEN,
    WGNODE_ADDRESS_POOL: POOL.text,
    WGNODE_RATE_LIMIT_PER_S: '0',
    WGNODE_SOCKET: 'off',
    WGNODE_LOG_LEVEL: 'silent',
    // A 10,000-item bulk request is ~350 KB of JSON.
    WGNODE_MAX_BODY_BYTES: String(1024 * 1024),
    WGNODE_COMMAND_TIMEOUT_MS: '30000',
    ...extra,
  };
}

/** Deterministic, valid, distinct keys for the no-op runner (nothing ever sees them on a wire). */
export function fakeKey(user: number): string {
  const bytes = Buffer.alloc(32);
  bytes.writeUInt32BE(user, 0);
  bytes.write('wgnode-bench', 8);
  return bytes.toString('base64');
}

/**
 * Each mutation's input for user i, as rows 2-2d send it over HTTP and rows 7b-7f run it on the
 * registry alone: every request on a device of its own. `sessions`: whether the seeded device 1
 * has an ACTIVE session to start with (connect's has none).
 */
export const INPUTS = {
  disconnect: { sessions: true, of: (userId: number) => ({ userId, deviceId: 1 }) },
  deactivate: { sessions: true, of: (userId: number) => ({ userId, deviceId: 1 }) },
  // A second device of each user: activation creates it.
  activate: { sessions: true, of: (userId: number) => ({ userId, deviceId: 2 }) },
  connect: { sessions: false, of: (userId: number) => ({ userId, deviceId: 1, publicKey: fakeKey(userId) }) },
};

export { DEACTIVATE, DISCONNECT } from '../../src/testbed/contract-requests.js';
export const CONNECT = `mutation connectDevice($userId: Int!, $deviceId: Int!, $publicKey: String!) { connectDevice(userId: $userId, deviceId: $deviceId, publicKey: $publicKey) { id address } }`;
export const ACTIVATE = `mutation activateDevice($userId: Int!, $deviceId: Int!) { activateDevice(userId: $userId, deviceId: $deviceId) { userId deviceId status } }`;
export const DEACTIVATE_MANY = `mutation deactivateDevices($items: [DeviceRef!]!) { deactivateDevices(items: $items) { ok code } }`;

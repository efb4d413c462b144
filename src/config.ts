// The one reader of process.env. Every variable is validated here, at start-up, with a message
// that names the variable, so a misconfigured node fails fast instead of misbehaving later.
import { readFileSync } from 'node:fs';
import { parseCidr, type Cidr } from './net.js';
import { isPublicKey } from './wireguard/keys.js';

export interface Config {
  host: string;
  port: number;
  dbPath: string;
  interfaceName: string;
  /** Run wg/ip inside this network namespace (`ip netns exec NS ...`); empty = the agent's own. */
  netns: string;
  pool: Cidr;
  /** The interface's own tunnel address: never handed out. */
  interfaceAddress: number;
  adminToken: string | null;
  wgBin: string;
  ipBin: string;
  commandTimeoutMs: number;
  maxDevicesPerUser: number;
  reconcileIntervalMs: number;
  onlineWindowS: number;
  idleTimeoutS: number;
  staticPeers: ReadonlySet<string>;
  publicEndpoint: string | null;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): Config {
  const pool = read(env, 'WGNODE_ADDRESS_POOL', '10.64.0.0/16', (v) => {
    const cidr = parseCidr(v);
    if (cidr.prefix > 30) throw new Error('the pool needs at least a /30 to hold a client');
    if (cidr.prefix < 8) throw new Error('a pool larger than a /8 is not supported');
    return cidr;
  });
  const interfaceAddress = read(env, 'WGNODE_INTERFACE_ADDRESS', '', (v) => {
    if (v === '') return pool.first; // the first host, by convention
    const ip = parseCidr(`${v}/32`).network;
    if (ip < pool.first || ip > pool.last) throw new Error(`${v} is not a host address of ${pool.text}`);
    return ip;
  });
  return {
    host: read(env, 'WGNODE_HOST', '127.0.0.1', nonEmpty),
    port: read(env, 'WGNODE_PORT', '8080', (v) => integer(v, 0, 65535)),
    dbPath: read(env, 'WGNODE_DB', './data/wgnode.db', nonEmpty),
    interfaceName: read(env, 'WGNODE_INTERFACE', 'wg0', interfaceName),
    netns: read(env, 'WGNODE_NETNS', '', (v) => (v === '' ? v : interfaceName(v))),
    pool,
    interfaceAddress,
    adminToken: readAdminToken(env),
    wgBin: read(env, 'WGNODE_WG_BIN', 'wg', nonEmpty),
    ipBin: read(env, 'WGNODE_IP_BIN', 'ip', nonEmpty),
    commandTimeoutMs: read(env, 'WGNODE_COMMAND_TIMEOUT_MS', '5000', (v) => integer(v, 100, 600_000)),
    maxDevicesPerUser: read(env, 'WGNODE_MAX_DEVICES_PER_USER', '10', (v) => integer(v, 1, 1_000_000)),
    reconcileIntervalMs: read(env, 'WGNODE_RECONCILE_INTERVAL_MS', '5000', (v) => integer(v, 100, 86_400_000)),
    onlineWindowS: read(env, 'WGNODE_ONLINE_WINDOW_S', '180', (v) => integer(v, 1, 86_400)),
    idleTimeoutS: read(env, 'WGNODE_IDLE_TIMEOUT_S', '0', (v) => integer(v, 0, 31_536_000)),
    staticPeers: read(env, 'WGNODE_STATIC_PEERS', '', staticPeers),
    publicEndpoint: read(env, 'WGNODE_PUBLIC_ENDPOINT', '', (v) => (v === '' ? null : v)),
  };
}

function read<T>(env: Env, name: string, fallback: string, parse: (value: string) => T): T {
  const value = (env[name] ?? fallback).trim();
  try {
    return parse(value);
  } catch (error) {
    throw new ConfigError(`${name}=${JSON.stringify(value)}: ${(error as Error).message}`);
  }
}

function readAdminToken(env: Env): string | null {
  const inline = env.WGNODE_ADMIN_TOKEN?.trim();
  const file = env.WGNODE_ADMIN_TOKEN_FILE?.trim();
  if (inline && file) throw new ConfigError('set WGNODE_ADMIN_TOKEN or WGNODE_ADMIN_TOKEN_FILE, not both');
  const token = file ? readSecretFile('WGNODE_ADMIN_TOKEN_FILE', file) : inline || null;
  // A short token can be guessed; refuse it rather than run with it.
  if (token !== null && token.length < 16) throw new ConfigError('the admin token must be at least 16 characters');
  return token;
}

function readSecretFile(name: string, path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (error) {
    throw new ConfigError(`${name}: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

function nonEmpty(value: string): string {
  if (value === '') throw new Error('must not be empty');
  return value;
}

function integer(value: string, min: number, max: number): number {
  if (!/^\d+$/.test(value)) throw new Error('must be a whole number');
  const n = Number(value);
  if (n < min || n > max) throw new Error(`must be between ${min} and ${max}`);
  return n;
}

function interfaceName(value: string): string {
  // Linux interface names: at most 15 bytes, no slash or whitespace.
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(value)) throw new Error('must be 1-15 characters of A-Z a-z 0-9 _ . -');
  return value;
}

function staticPeers(value: string): ReadonlySet<string> {
  const keys = value.split(',').map((k) => k.trim()).filter(Boolean);
  for (const key of keys) if (!isPublicKey(key)) throw new Error(`${key} is not a WireGuard public key`);
  return new Set(keys);
}

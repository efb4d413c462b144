// The one reader of process.env. Every variable is validated here, at start-up, with a message
// that names the variable, so a misconfigured node fails fast instead of misbehaving later.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { credentialFileProblem } from './credential-files.js';
import { ipv6Beside, parseCidr, parseCidr6, type Cidr, type Cidr6 } from './net.js';
import { DEFAULT_MAX_UNKNOWN_REMOVALS } from './reconcile/ownership.js';
import { isPublicKey } from './wireguard/keys.js';

/** The registry, relative to the working directory; the operator's socket sits beside it. */
const DEFAULT_DB_PATH = './data/wgnode.db';
const SOCKET_FILE = 'wgnode.sock';

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
  /** Dual-stack: every session also gets the IPv6 address at its IPv4 offset in this prefix; null = IPv4 only. */
  pool6: Cidr6 | null;
  /** The interface's own IPv6 address (the one beside interfaceAddress); null without pool6. */
  interfaceAddress6: string | null;
  adminToken: string | null;
  wgBin: string;
  ipBin: string;
  commandTimeoutMs: number;
  maxDevicesPerUser: number;
  reconcileIntervalMs: number;
  onlineWindowS: number;
  idleTimeoutS: number;
  staticPeers: ReadonlySet<string>;
  /** The most unknown peers one reconcile pass removes on its own (more: it removes none and alerts); null = no limit. */
  maxUnknownRemovals: number | null;
  publicEndpoint: string | null;
  /** Named, scoped tokens stored as hashes (src/auth/tokens-file.ts); null = none. */
  tokensFile: string | null;
  /** JWTs signed by the control plane; null = not accepted. */
  jwt: JwtConfig | null;
  /** Largest request body /graphql reads (413 above it). 1 MiB: a full bulk request (10,000 items) fits. */
  maxBodyBytes: number;
  introspection: boolean;
  /** How long an Idempotency-Key's answer is kept for replay (seconds). */
  idempotencyTtlS: number;
  /** Per-principal token bucket on mutations; perSecond 0 = off. */
  rateLimit: { perSecond: number; burst: number };
  /** The operator's unix socket (requests on it act as `local`); null = no socket (WGNODE_SOCKET=off). */
  socketPath: string | null;
  /** pino level: fatal, error, warn, info, debug, trace or silent. */
  logLevel: string;
  /** Unauthenticated /metrics on 127.0.0.1:PORT; 0 = off (the main port serves it with a credential). */
  metricsPort: number;
  /** Serve a GraphQL IDE to browsers at GET /graphql. */
  graphiql: boolean;
  /** Serve HTTPS with these PEM files (src/http/tls.ts reads and watches them); null = plain HTTP. */
  tls: TlsFiles | null;
  /** ENDED sessions and audit rows older than this are pruned in the background; 0 = keep forever. */
  historyRetentionDays: number;
  /** Change-feed rows kept (the newest); 0 = keep every row. */
  changesRetention: number;
  /** SIGTERM: how long in-flight requests and queued peer changes get before the process exits anyway. */
  shutdownTimeoutMs: number;
  /** A freed tunnel address is not handed out again for this long unless nothing else is free; 0 = off. */
  addressQuarantineS: number;
  /** Delete the connection-tracking entries of revoked addresses (NAT nodes; src/wireguard/conntrack.ts). */
  conntrack: boolean;
  conntrackBin: string;
  /** ACTIVE sessions per device; a connect beyond it replaces the oldest (key rotation). 0 = no limit. */
  sessionsPerDevice: number;
  /** The node key that seals stored preshared keys (src/preshared-keys.ts); null = in-memory registry, a key per process. */
  pskKeyFile: string | null;
}

export interface TlsFiles {
  certFile: string;
  keyFile: string;
  /** Mutual TLS: only clients with a certificate from this CA complete the handshake; null = off. */
  clientCaFile: string | null;
}

export interface JwtConfig {
  publicKeyFile: string;
  issuer: string;
  audience: string;
  clockToleranceS: number;
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
  const pool6 = read(env, 'WGNODE_ADDRESS_POOL6', '', (v) => (v === '' ? null : readPool6(v, pool)));
  const tls = readTls(env);
  return {
    // Plain HTTP stays on loopback unless the operator says otherwise; with TLS configured the
    // agent is meant to be reached over the network, so it binds every IPv4 interface.
    host: read(env, 'WGNODE_HOST', tls ? '0.0.0.0' : '127.0.0.1', nonEmpty),
    port: read(env, 'WGNODE_PORT', '8080', (v) => integer(v, 0, 65535)),
    dbPath: read(env, 'WGNODE_DB', DEFAULT_DB_PATH, nonEmpty),
    interfaceName: read(env, 'WGNODE_INTERFACE', 'wg0', interfaceName),
    netns: read(env, 'WGNODE_NETNS', '', (v) => (v === '' ? v : interfaceName(v))),
    pool,
    interfaceAddress,
    pool6,
    interfaceAddress6: pool6 === null ? null : ipv6Beside(pool, pool6, interfaceAddress),
    adminToken: readAdminToken(env),
    wgBin: read(env, 'WGNODE_WG_BIN', 'wg', nonEmpty),
    ipBin: read(env, 'WGNODE_IP_BIN', 'ip', nonEmpty),
    commandTimeoutMs: read(env, 'WGNODE_COMMAND_TIMEOUT_MS', '5000', (v) => integer(v, 100, 600_000)),
    maxDevicesPerUser: read(env, 'WGNODE_MAX_DEVICES_PER_USER', '10', (v) => integer(v, 1, 1_000_000)),
    reconcileIntervalMs: read(env, 'WGNODE_RECONCILE_INTERVAL_MS', '5000', (v) => integer(v, 100, 86_400_000)),
    onlineWindowS: read(env, 'WGNODE_ONLINE_WINDOW_S', '180', (v) => integer(v, 1, 86_400)),
    idleTimeoutS: read(env, 'WGNODE_IDLE_TIMEOUT_S', '0', (v) => integer(v, 0, 31_536_000)),
    staticPeers: read(env, 'WGNODE_STATIC_PEERS', '', staticPeers),
    maxUnknownRemovals: read(env, 'WGNODE_MAX_UNKNOWN_REMOVALS', String(DEFAULT_MAX_UNKNOWN_REMOVALS), (v) => (v === 'off' ? null : integer(v, 0, 1_000_000))),
    publicEndpoint: read(env, 'WGNODE_PUBLIC_ENDPOINT', '', (v) => (v === '' ? null : v)),
    // A missing file is an error, not an empty list: a typo must not start a node no one can reach.
    tokensFile: read(env, 'WGNODE_TOKENS_FILE', '', (v) => (v === '' ? null : credentialFile(v, 'secret'))),
    jwt: readJwt(env),
    maxBodyBytes: read(env, 'WGNODE_MAX_BODY_BYTES', '1048576', (v) => integer(v, 1024, 16 * 1024 * 1024)),
    introspection: read(env, 'WGNODE_INTROSPECTION', 'false', boolean),
    idempotencyTtlS: read(env, 'WGNODE_IDEMPOTENCY_TTL_S', '86400', (v) => integer(v, 1, 31_536_000)),
    rateLimit: {
      perSecond: read(env, 'WGNODE_RATE_LIMIT_PER_S', '200', (v) => integer(v, 0, 1_000_000)),
      burst: read(env, 'WGNODE_RATE_LIMIT_BURST', '2000', (v) => integer(v, 1, 10_000_000)),
    },
    socketPath: readSocketPath(env),
    logLevel: read(env, 'WGNODE_LOG_LEVEL', 'info', logLevel),
    metricsPort: read(env, 'WGNODE_METRICS_PORT', '0', (v) => integer(v, 0, 65535)),
    graphiql: read(env, 'WGNODE_GRAPHIQL', 'false', boolean),
    tls,
    historyRetentionDays: read(env, 'WGNODE_HISTORY_RETENTION_DAYS', '90', (v) => integer(v, 0, 36_500)),
    changesRetention: read(env, 'WGNODE_CHANGES_RETENTION', '1000000', (v) => integer(v, 0, 1_000_000_000)),
    shutdownTimeoutMs: read(env, 'WGNODE_SHUTDOWN_TIMEOUT_MS', '10000', (v) => integer(v, 100, 600_000)),
    addressQuarantineS: read(env, 'WGNODE_ADDRESS_QUARANTINE_S', '300', (v) => integer(v, 0, 86_400)),
    // Off unless asked for: only a node that does NAT (or forwards) has entries worth deleting.
    conntrack: read(env, 'WGNODE_CONNTRACK', 'false', boolean),
    conntrackBin: read(env, 'WGNODE_CONNTRACK_BIN', 'conntrack', nonEmpty),
    sessionsPerDevice: read(env, 'WGNODE_SESSIONS_PER_DEVICE', '1', (v) => integer(v, 0, 1_000_000)),
    pskKeyFile: pskKeyFile(env),
  };
}

/** The v6 address of a session sits at its v4 offset, so the prefix must hold the whole v4 pool. */
function readPool6(value: string, pool: Cidr): Cidr6 {
  const cidr6 = parseCidr6(value);
  if (128 - cidr6.prefix < 32 - pool.prefix) {
    throw new Error(`must hold the IPv4 pool ${pool.text}: a /${128 - (32 - pool.prefix)} or larger (IPv6 addresses sit at the IPv4 offset)`);
  }
  return cidr6;
}

function readTls(env: Env): TlsFiles | null {
  const optional = (v: string) => (v === '' ? null : v);
  const certFile = read(env, 'WGNODE_TLS_CERT_FILE', '', optional);
  const keyFile = read(env, 'WGNODE_TLS_KEY_FILE', '', optional);
  const clientCaFile = read(env, 'WGNODE_TLS_CLIENT_CA_FILE', '', optional);
  if (certFile && !keyFile) throw new ConfigError('WGNODE_TLS_KEY_FILE is required when WGNODE_TLS_CERT_FILE is set');
  if (keyFile && !certFile) throw new ConfigError('WGNODE_TLS_CERT_FILE is required when WGNODE_TLS_KEY_FILE is set');
  // A client CA on a plain HTTP server would check nothing: refuse it rather than look protected.
  if (clientCaFile && !certFile) throw new ConfigError('WGNODE_TLS_CLIENT_CA_FILE needs WGNODE_TLS_CERT_FILE and WGNODE_TLS_KEY_FILE (mutual TLS is TLS)');
  return certFile && keyFile ? { certFile, keyFile, clientCaFile } : null;
}

function readJwt(env: Env): JwtConfig | null {
  const publicKeyFile = read(env, 'WGNODE_JWT_PUBLIC_KEY_FILE', '', (v) => v);
  if (publicKeyFile === '') return null;
  // Without a pinned issuer and audience, a token the control plane minted for another service
  // would open this one too.
  const required = (v: string) => {
    if (v === '') throw new Error('is required when WGNODE_JWT_PUBLIC_KEY_FILE is set');
    return v;
  };
  return {
    publicKeyFile,
    issuer: read(env, 'WGNODE_JWT_ISSUER', '', required),
    audience: read(env, 'WGNODE_JWT_AUDIENCE', '', required),
    clockToleranceS: read(env, 'WGNODE_JWT_CLOCK_TOLERANCE_S', '30', (v) => integer(v, 0, 300)),
  };
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function logLevel(value: string): string {
  if (!LOG_LEVELS.includes(value)) throw new Error(`must be one of ${LOG_LEVELS.join(', ')}`);
  return value;
}

function boolean(value: string): boolean {
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0' || value === '') return false;
  throw new Error('must be true or false');
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
  const problem = credentialFileProblem(path, 'secret');
  if (problem && problem !== 'does not exist') throw new ConfigError(`${name}=${path}: ${problem}`);
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (error) {
    throw new ConfigError(`${name}: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

function credentialFile(path: string, kind: 'secret' | 'public'): string {
  const problem = credentialFileProblem(path, kind);
  if (problem) throw new Error(problem);
  return path;
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
  const bad = keys.find((key): boolean => !isPublicKey(key));
  if (bad !== undefined) throw new Error(`${bad} is not a WireGuard public key`);
  return new Set(keys);
}

/** Where the CLI finds the server: the local socket by default, or a remote node (URL + token). */
/** WGNODE_PSK_KEY_FILE, else `<WGNODE_DB>.psk-key` beside the database; null for an in-memory database. */
function pskKeyFile(env: Env): string | null {
  const db = (env.WGNODE_DB ?? './data/wgnode.db').trim();
  return read(env, 'WGNODE_PSK_KEY_FILE', db === ':memory:' ? '' : `${db}.psk-key`, (v) => (v === '' ? null : v));
}

export interface ClientConfig {
  socketPath: string;
  url: string | null;
  token: string | null;
}

export function loadClientConfig(env: Env = process.env): ClientConfig {
  const url = read(env, 'WGNODE_URL', '', (v) => {
    if (v === '') return null;
    const parsed = new URL(v);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('must be an http:// or https:// URL');
    return v;
  });
  return { socketPath: readSocketPath(env) ?? defaultSocketPath(env), url, token: env.WGNODE_TOKEN?.trim() || null };
}

// The socket sits next to the registry by default (./data/wgnode.sock, /var/lib/wgnode/wgnode.sock in
// the container): the directory that holds the node's state is already the one the operator guards.
function defaultSocketPath(env: Env): string {
  const db = (env.WGNODE_DB ?? DEFAULT_DB_PATH).trim();
  return join(dirname(db === ':memory:' ? DEFAULT_DB_PATH : db), SOCKET_FILE);
}

function readSocketPath(env: Env): string | null {
  return read(env, 'WGNODE_SOCKET', defaultSocketPath(env), (v) => {
    if (v === 'off') return null;
    if (v === '') throw new Error('must be a path, or off for no socket');
    // sun_path holds 108 bytes on Linux, with the terminating NUL.
    if (Buffer.byteLength(v) > 107) throw new Error('a unix socket path must be at most 107 bytes');
    return v;
  });
}

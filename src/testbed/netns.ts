// Real, isolated WireGuard hosts in network namespaces, for the e2e tests, `npm run demo` and
// `npm run bench`. Userspace WireGuard (wireguard-go) because the kernel may lack the module.
//
// One trap shapes this file: wireguard-go's control socket is /var/run/wireguard/IFACE.sock, a
// path in the *filesystem*, shared by every network namespace, and `wg` finds userspace
// interfaces by that path alone. Two wireguard-go processes with the same interface name, even
// in different namespaces, collide (the second exits: "unix socket in use"), and `wg show wg0`
// run in a namespace without a wg0 silently answers for another namespace's wg0. So the testbed
// gives every interface a process-unique name, and startWgInterface refuses a taken name.
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { delimiter, join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { execa, type ResultPromise } from 'execa';
import { withPresharedKeyFiles } from '../wireguard/psk-files.js';

export interface KeyPair { privateKey: string; publicKey: string }

export interface WgInterface {
  /** null: the host's namespace (startHostInterface). */
  ns: string | null; iface: string; publicKey: string; listenPort: number;
  /** Public keys currently on the interface. */
  peers(): Promise<string[]>;
  /** Kills wireguard-go, so the interface is gone (simulates an interface restart). */
  destroy(): Promise<void>;
  /** Starts wireguard-go again with the same key, listen port and address, empty of peers. */
  recreate(): Promise<void>;
  /** destroy(), idempotent. */
  stop(): Promise<void>;
}

export interface Client {
  iface: string; keyPair: KeyPair; address: string;
  /** The client's IPv6 tunnel address; null when it has none. */
  address6: string | null;
  /**
   * One echo over the tunnel to the node's tunnel address; true on reply. After a failed
   * handshake WireGuard retries only every 5 s, so give the first ping after that >5 s.
   */
  ping(timeoutS?: number): Promise<boolean>;
  /** The same over IPv6, from address6 to the node's IPv6 tunnel address (dual-stack testbeds). */
  ping6(timeoutS?: number): Promise<boolean>;
  /** latest-handshake (epoch seconds) of the node peer as the client sees it; 0 = never. */
  latestHandshake(): Promise<number>;
  remove(): Promise<void>;
}

export interface Testbed {
  nodeNs: string; clientNs: string;
  nodeUnderlayIp: string;
  node: WgInterface;
  /** address6: the client's IPv6 tunnel address (dual-stack); presharedKey: the client's side of a PSK tunnel. */
  addClient(opts: { keyPair: KeyPair; address: string; address6?: string; persistentKeepalive?: number; presharedKey?: string }): Promise<Client>;
  /** Kills every wireguard-go and deletes both namespaces; idempotent; never throws. */
  teardown(): Promise<void>;
}

/** Where wireguard-go puts its UAPI sockets. */
const SOCKET_DIR = '/var/run/wireguard';
const NODE_PORT = 51820;

export function generateKeyPair(): KeyPair {
  const { privateKey } = generateKeyPairSync('x25519');
  const jwk = privateKey.export({ format: 'jwk' });
  const std = (b64url: string | undefined) => Buffer.from(b64url ?? '', 'base64url').toString('base64');
  return { privateKey: std(jwk.d), publicKey: std(jwk.x) };
}

function onPath(cmd: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try { accessSync(join(dir, cmd), constants.X_OK); return true; } catch { return false; }
  });
}

/** Why a dual-stack testbed cannot run here (IPv6 off in the kernel), or null. */
export function ipv6Problem(): string | null {
  if (!existsSync('/proc/sys/net/ipv6')) return 'The kernel has no IPv6 (no /proc/sys/net/ipv6).';
  return null;
}

export function privilegeProblem(): string | null {
  if (process.getuid?.() !== 0) return 'Not running as root: network namespaces and tun devices need root.';
  if (!existsSync('/dev/net/tun')) return '/dev/net/tun is missing, so wireguard-go cannot create an interface.';
  const missing = ['wg', 'wireguard-go', 'ip'].filter((c) => !onPath(c));
  if (missing.length > 0) return `Not on PATH: ${missing.join(', ')} (Debian packages wireguard-tools, wireguard-go, iproute2).`;
  return null;
}

let seq = 0;
function uniqueName(prefix: string): string {
  // threadId keeps names apart when test files run in worker threads of one process.
  const tid = threadId === 0 ? '' : `t${threadId.toString(36)}`;
  return `${prefix}${process.pid.toString(36)}${tid}${(seq++).toString(36)}`;
}

// What this process created, for the best-effort cleanup if it ends without teardown.
const liveDaemons = new Map<ResultPromise, string>(); // subprocess -> iface
const liveNamespaces = new Set<string>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function cleanupSync(): void {
  for (const [proc, iface] of liveDaemons) {
    try { proc.kill('SIGKILL'); rmSync(`${SOCKET_DIR}/${iface}.sock`, { force: true }); } catch { /* best effort */ }
  }
  liveDaemons.clear();
  for (const ns of liveNamespaces) {
    try { execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' }); } catch { /* best effort */ }
  }
  liveNamespaces.clear();
}

let hooksInstalled = false;
function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.once('exit', cleanupSync);
  // A signal ends the process without 'exit' (vitest stops its fork workers with SIGTERM):
  // clean up, then re-raise it so the default action, or the host's own handlers, still apply.
  const onSignal = (sig: NodeJS.Signals) => {
    cleanupSync();
    for (const s of SIGNALS) process.off(s, onSignal);
    process.off('exit', cleanupSync);
    hooksInstalled = false;
    process.kill(process.pid, sig);
  };
  for (const s of SIGNALS) process.on(s, onSignal);
}

/** The file and argv that run CMD ARGS inside NS: through `ip netns exec`, or directly for the host's (null). */
export function inNsArgv(ns: string | null, cmd: string, args: readonly string[]): [string, string[]] {
  return ns === null ? [cmd, [...args]] : ['ip', ['netns', 'exec', ns, cmd, ...args]];
}

/** Runs CMD ARGS inside NS (null: the host's namespace); throws with stderr on failure. */
async function inNs(ns: string | null, cmd: string, args: string[]): Promise<string> {
  const [file, argv] = inNsArgv(ns, cmd, args);
  const r = await execa(file, argv, { reject: false });
  if (r.exitCode !== 0) throw new Error(`${file} ${argv.join(' ')} failed (${r.exitCode ?? r.signal}): ${String(r.stderr).trim()}`);
  return String(r.stdout);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** True when something answers on the unix socket (a stale file from a killed process does not). */
function socketInUse(path: string): Promise<boolean> {
  if (!existsSync(path)) return Promise.resolve(false);
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

/**
 * One `set` on wireguard-go's control socket (the protocol `wg` itself speaks). Used for the
 * private key: `wg set ... private-key /dev/stdin` fails here with ENXIO because Node gives
 * children a socketpair, not a pipe, as stdin; and keys never go in argv or on disk.
 */
function uapiSet(iface: string, settings: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let reply = '';
    const s = connect(`${SOCKET_DIR}/${iface}.sock`);
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      reply += d;
      if (!reply.endsWith('\n\n')) return;
      s.destroy();
      if (reply.trim() === 'errno=0') resolve();
      else reject(new Error(`wireguard-go ${iface} refused configuration: ${reply.trim()}`));
    });
    s.on('error', reject);
    s.on('close', () => reject(new Error(`wireguard-go ${iface} closed its control socket without a reply`)));
    s.write(`set=1\n${settings}\n`);
  });
}

interface Daemon { kill(): Promise<void> }

class DaemonDied extends Error {}

/**
 * Any `wg` that touches IFACE (an agent under test polling its interface while the testbed
 * recreates it) can still unlink the socket in that bind-to-listen window. The daemon then dies
 * before it ever served, so starting it again is safe.
 */
async function launchWireguardGoRetrying(ns: string | null, iface: string): Promise<Daemon> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await launchWireguardGo(ns, iface);
    } catch (err) {
      if (!(err instanceof DaemonDied) || attempt >= 3) throw err;
      mkdirSync(SOCKET_DIR, { recursive: true });
      await sleep(50 * attempt);
    }
  }
}

async function launchWireguardGo(ns: string | null, iface: string): Promise<Daemon> {
  const sock = `${SOCKET_DIR}/${iface}.sock`;
  if (await socketInUse(sock)) {
    throw new Error(`interface name ${iface} is taken: ${sock} is in use, and that path is shared by all network namespaces`);
  }
  installExitHooks();
  // -f: the daemonising form exits early here. WG_PROCESS_FOREGROUND silences its kernel banner.
  const [file, argv] = inNsArgv(ns, 'wireguard-go', ['-f', iface]);
  const proc = execa(file, argv, {
    env: { WG_PROCESS_FOREGROUND: '1', LOG_LEVEL: 'error' },
    stdin: 'ignore', all: true, buffer: false, reject: false, forceKillAfterDelay: 2000,
  });
  liveDaemons.set(proc, iface);
  let output = ''; // bounded tail, for error messages only
  proc.all?.on('data', (chunk: Buffer) => { output = (output + chunk.toString()).slice(-4000); });
  // Set by the callback: `as` keeps TypeScript from narrowing it to null for good.
  let exited = null as string | null;
  void proc.then((r) => { exited = `exit ${r.exitCode ?? r.signal}`; liveDaemons.delete(proc); });

  const kill = async () => {
    if (exited === null) proc.kill('SIGTERM'); // execa follows up with SIGKILL after 2 s
    await proc;
    rmSync(sock, { force: true }); // left behind when it had to be SIGKILLed
    // The tun device goes when its fd closes; wait for it so callers see the interface gone.
    for (let i = 0; i < 100 && (await execa('ip', [...(ns === null ? [] : ['-n', ns]), 'link', 'show', iface], { reject: false })).exitCode === 0; i++) await sleep(20);
  };

  // Poll with our own connect, never `wg show`: wg unlinks a socket that refuses it, and
  // wireguard-go's socket refuses between its bind() and listen(); unlinked there, the daemon
  // exits with "Failed to listen on uapi socket: no such file or directory".
  for (const deadline = Date.now() + 10_000; ; await sleep(25)) {
    if (exited !== null) throw new DaemonDied(`wireguard-go ${iface} in ${ns} died (${exited}) before coming up: ${output.trim()}`);
    if (await socketInUse(sock)) return { kill };
    if (Date.now() > deadline) {
      await kill();
      throw new Error(`wireguard-go ${iface} in ${ns} did not answer \`wg show\` within 10 s: ${output.trim()}`);
    }
  }
}

async function startWgInterface(opts: {
  /** address6: an IPv6 address with prefix beside the IPv4 one (dual-stack). */
  /** ns null: the host's namespace. address absent: none (no route anywhere). */
  ns: string | null; iface?: string; address?: string; address6?: string; listenPort: number; keyPair?: KeyPair;
}): Promise<WgInterface> {
  const { ns, address, address6, listenPort } = opts;
  const iface = opts.iface ?? 'wg0';
  const keyPair = opts.keyPair ?? generateKeyPair();
  let daemon: Daemon | null = null;

  const destroy = async () => {
    const d = daemon;
    daemon = null;
    await d?.kill();
  };
  const start = async () => {
    daemon = await launchWireguardGoRetrying(ns, iface);
    try {
      const keyHex = Buffer.from(keyPair.privateKey, 'base64').toString('hex');
      await uapiSet(iface, `private_key=${keyHex}\nlisten_port=${listenPort}\n`);
      if (address) await inNs(ns, 'ip', ['addr', 'add', address, 'dev', iface]);
      // nodad: usable at once, not "tentative" for a second of duplicate address detection.
      if (address6) await inNs(ns, 'ip', ['-6', 'addr', 'add', address6, 'dev', iface, 'nodad']);
      await inNs(ns, 'ip', ['link', 'set', iface, 'up']);
    } catch (err) {
      await destroy();
      throw err;
    }
  };

  await start();
  return {
    ns, iface, publicKey: keyPair.publicKey, listenPort,
    peers: async () => (await inNs(ns, 'wg', ['show', iface, 'peers'])).split('\n').filter((l) => l !== ''),
    destroy,
    recreate: async () => { await destroy(); await start(); },
    stop: destroy,
  };
}

// A TCP SYN to a closed port over the tunnel: the node's kernel answers with a RST, which
// arrives as ECONNREFUSED only if the round trip through WireGuard worked. Used without `ping`.
const TCP_PROBE = `
const [host, src, ms] = process.argv.slice(1);
const s = require('node:net').connect({ host, port: 9, localAddress: src });
setTimeout(() => process.exit(1), Number(ms)).unref();
s.on('connect', () => process.exit(0));
s.on('error', (e) => process.exit(e.code === 'ECONNREFUSED' ? 0 : 1));
`;

/**
 * A WireGuard interface in the host's own namespace, for the benchmark: the agent then runs `wg`
 * itself, as on a real node, with no `ip netns exec` in the path. No address (so no route on the
 * host), a random listen port, a process-unique name; stop() removes it.
 */
export function startHostInterface(): Promise<WgInterface> {
  return startWgInterface({ ns: null, iface: uniqueName('wgh'), listenPort: 0 });
}

/**
 * pool6CidrAddress: dual-stack, the node interface's IPv6 address with the pool's prefix (e.g.
 * fd00:64::1/112); clients given an address6 then reach it over IPv6 too.
 */
export async function createTestbed(opts: { prefix?: string; poolCidrAddress?: string; pool6CidrAddress?: string } = {}): Promise<Testbed> {
  const poolCidrAddress = opts.poolCidrAddress ?? '10.64.0.1/16';
  const nodeTunnelIp = poolCidrAddress.split('/')[0] ?? poolCidrAddress;
  const nodeTunnelIp6 = opts.pool6CidrAddress?.split('/')[0] ?? null;
  const base = uniqueName(opts.prefix ?? 'wgtb');
  const nodeNs = `${base}-node`;
  const clientNs = `${base}-client`;
  // A /30 in 10.201.0.0/16 per testbed (the namespaces isolate it anyway; this keeps dumps readable).
  const block = (process.pid * 31 + seq) % 16384;
  const net = `10.201.${block >> 6}.`;
  const nodeUnderlayIp = `${net}${(block & 63) * 4 + 1}`;
  const clientUnderlayIp = `${net}${(block & 63) * 4 + 2}`;
  const hasPing = onPath('ping');

  const clients = new Set<WgInterface>();
  let node: WgInterface | undefined;
  let torn: Promise<void> | undefined;
  const teardown = () => (torn ??= (async () => {
    await Promise.allSettled([node?.stop(), ...[...clients].map((c) => c.stop())]);
    for (const ns of [nodeNs, clientNs]) {
      if (!liveNamespaces.has(ns)) continue;
      await execa('ip', ['netns', 'del', ns], { reject: false }).catch(() => undefined);
      liveNamespaces.delete(ns);
    }
  })());

  // One echo from `from` to `to` over the tunnel (ICMP, or the TCP probe without `ping`).
  const echo = async (from: string, to: string, timeoutS: number) => {
    const r = hasPing
      ? await execa('ip', ['netns', 'exec', clientNs, 'ping', '-c1', '-W', String(timeoutS), '-I', from, to], { reject: false })
      : await execa('ip', ['netns', 'exec', clientNs, process.execPath, '--input-type=commonjs', '-e', TCP_PROBE,
        to, from, String(timeoutS * 1000)], { reject: false, env: { NODE_OPTIONS: '' } });
    return r.exitCode === 0;
  };

  let clientIndex = 0;
  const addClient: Testbed['addClient'] = async ({ keyPair, address, address6, persistentKeepalive, presharedKey }) => {
    const n = clientIndex++;
    const table = String(100 + n);
    const dual = address6 !== undefined && nodeTunnelIp6 !== null;
    if (address6 !== undefined && !dual) throw new Error('addClient: address6 needs a testbed created with pool6CidrAddress');
    const wg = await startWgInterface({
      ns: clientNs, iface: uniqueName('wgc'), address: `${address}/32`, address6: dual ? `${address6}/128` : undefined,
      listenPort: NODE_PORT + 1 + n, keyPair,
    });
    clients.add(wg);
    const nodePub = node?.publicKey ?? '';
    const allowed = dual ? `${nodeTunnelIp}/32,${nodeTunnelIp6}/128` : `${nodeTunnelIp}/32`;
    // A file, as wgnode does (src/wireguard/psk-files.ts): /dev/stdin is a socket under Node and wg cannot open it.
    await withPresharedKeyFiles(presharedKey ? [presharedKey] : [], (pathOf) =>
      inNs(clientNs, 'wg', ['set', wg.iface, 'peer', nodePub, 'endpoint', `${nodeUnderlayIp}:${NODE_PORT}`,
        'allowed-ips', allowed, ...(persistentKeepalive ? ['persistent-keepalive', String(persistentKeepalive)] : []),
        ...(presharedKey ? ['preshared-key', pathOf(presharedKey)] : [])]));
    // Every client routes to the same node address: a table per client, chosen by source address.
    await inNs(clientNs, 'ip', ['route', 'add', `${nodeTunnelIp}/32`, 'dev', wg.iface, 'table', table]);
    await inNs(clientNs, 'ip', ['rule', 'add', 'from', address, 'table', table]);
    if (dual) {
      await inNs(clientNs, 'ip', ['-6', 'route', 'add', `${nodeTunnelIp6}/128`, 'dev', wg.iface, 'table', table]);
      await inNs(clientNs, 'ip', ['-6', 'rule', 'add', 'from', address6, 'table', table]);
    }

    return {
      iface: wg.iface, keyPair, address, address6: dual ? address6 : null,
      ping: (timeoutS = 1) => echo(address, nodeTunnelIp, timeoutS),
      async ping6(timeoutS = 1) {
        if (!dual) throw new Error('ping6: this client has no IPv6 tunnel address');
        return echo(address6, nodeTunnelIp6, timeoutS);
      },
      async latestHandshake() {
        const out = await inNs(clientNs, 'wg', ['show', wg.iface, 'latest-handshakes']);
        const line = out.split('\n').find((l) => l.startsWith(`${nodePub}\t`));
        return Number(line?.split('\t')[1] ?? 0);
      },
      async remove() {
        await wg.stop();
        clients.delete(wg);
        await execa('ip', ['netns', 'exec', clientNs, 'ip', 'rule', 'del', 'from', address, 'table', table], { reject: false });
        if (dual) await execa('ip', ['netns', 'exec', clientNs, 'ip', '-6', 'rule', 'del', 'from', address6, 'table', table], { reject: false });
      },
    };
  };

  try {
    installExitHooks();
    for (const ns of [nodeNs, clientNs]) {
      await execa('ip', ['netns', 'add', ns]);
      liveNamespaces.add(ns);
      await inNs(ns, 'ip', ['link', 'set', 'lo', 'up']);
    }
    // Created straight inside the namespaces, so no name is ever taken in the root namespace.
    await execa('ip', ['-n', nodeNs, 'link', 'add', 'to-client', 'type', 'veth', 'peer', 'name', 'to-node', 'netns', clientNs]);
    await inNs(nodeNs, 'ip', ['addr', 'add', `${nodeUnderlayIp}/30`, 'dev', 'to-client']);
    await inNs(nodeNs, 'ip', ['link', 'set', 'to-client', 'up']);
    await inNs(clientNs, 'ip', ['addr', 'add', `${clientUnderlayIp}/30`, 'dev', 'to-node']);
    await inNs(clientNs, 'ip', ['link', 'set', 'to-node', 'up']);
    node = await startWgInterface({ ns: nodeNs, iface: uniqueName('wg'), address: poolCidrAddress, address6: opts.pool6CidrAddress, listenPort: NODE_PORT });
  } catch (err) {
    await teardown();
    throw err;
  }
  return { nodeNs, clientNs, nodeUnderlayIp, node, addClient, teardown };
}

// A real wgnode server process (e2e tests, scripts/measure-convergence.ts): `node --import tsx src/cli/main.ts serve` with
// its own port, database and interface (in the testbed's node namespace), talked to over HTTP.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

export const E2E_ADMIN_TOKEN = 'e2e-admin-token-0123456789';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface WgnodeProcess {
  url: string;
  child: ChildProcess;
  /** GraphQL over HTTP with the admin token: the parsed body and the status. */
  gql(query: string, variables?: Record<string, unknown>): Promise<{ status: number; body: any }>;
  get(path: string): Promise<{ status: number; body: any }>;
  /** SIGKILL: no shutdown code runs (the crash case). */
  kill9(): Promise<void>;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>;
  /** Everything the process wrote to stderr and stdout so far (for failure messages). */
  output(): string;
}

/**
 * The TCP ports process `pid` listens on, from `ss` (iproute2). Asking the process itself beats
 * picking a free port beforehand: between that pick and the child's bind another test's server
 * can take the port, and then the readiness probe talks to the wrong server (a 401 for our token).
 */
async function listeningPorts(pid: number): Promise<number[]> {
  const { stdout } = await execa('ss', ['-Hltnp'], { reject: false });
  return stdout
    .split('\n')
    .filter((line) => line.includes(`pid=${pid},`))
    .flatMap((line) => {
      const local = /\s(\S+):(\d+)\s+\S+\s+users:/.exec(line);
      return local ? [Number(local[2])] : [];
    });
}

/**
 * port: listen there (a restart at the same address); default one the kernel picks.
 * built: run the build, `node dist/src/cli/main.js serve`, the command `npm start` runs (the
 * benchmark measures the product as it ships); default the sources through tsx.
 * nodeArgs: options for node itself (the benchmark's --cpu-prof, which NODE_OPTIONS refuses).
 */
export async function startWgnode(env: Record<string, string>, options: { port?: number; built?: boolean; nodeArgs?: string[] } = {}): Promise<WgnodeProcess> {
  const entry = options.built ? ['dist/src/cli/main.js', 'serve'] : ['--import', 'tsx', 'src/cli/main.ts', 'serve'];
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...entry], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      WGNODE_HOST: '127.0.0.1',
      // 0: the kernel picks; the port is learnt from the process itself below.
      WGNODE_PORT: String(options.port ?? 0),
      WGNODE_ADMIN_TOKEN: E2E_ADMIN_TOKEN,
      WGNODE_SOCKET: 'off',
      WGNODE_RATE_LIMIT_PER_S: '0',
      WGNODE_LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000));
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let url = '';
  const request = async (path: string, init?: RequestInit) => {
    const res = await fetch(`${url}${path}`, init);
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  const proc: WgnodeProcess = {
    url,
    child,
    gql: (query, variables) =>
      request('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${E2E_ADMIN_TOKEN}` },
        body: JSON.stringify({ query, variables }),
      }),
    get: (path) => request(path),
    async kill9() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    output: () => output,
  };

  // It listens once its first reconcile pass is done.
  for (const deadline = Date.now() + 30_000; ; await sleep(50)) {
    if (child.exitCode !== null) throw new Error(`wgnode exited with ${child.exitCode} at start-up:\n${output}`);
    const ports = child.pid === undefined ? [] : await listeningPorts(child.pid);
    const port = options.port ?? ports[0];
    if (port !== undefined && ports.includes(port)) {
      url = `http://127.0.0.1:${port}`;
      proc.url = url;
      try {
        if ((await proc.get('/livez')).status === 200) return proc;
      } catch {
        // not answering yet
      }
    }
    if (Date.now() > deadline) {
      await proc.stop();
      throw new Error(`wgnode did not answer /livez within 30 s:\n${output}`);
    }
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until check() is true; returns the elapsed ms, or throws with the message after timeoutMs. */
export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number, message: string, everyMs = 10): Promise<number> {
  const start = performance.now();
  for (;;) {
    if (await check()) return Math.round(performance.now() - start);
    if (performance.now() - start > timeoutMs) throw new Error(`${message} (not within ${timeoutMs} ms)`);
    await sleep(everyMs);
  }
}

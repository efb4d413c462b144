// The operator's unix socket: the same app.fetch as the network port, with `{ local: true }` as
// the fetch env so requests act as the `local` principal (src/auth/bearer.ts). The socket file is
// created 0600 — its permissions are the credential — and a stale one is removed at start.
import { createAdaptorServer } from '@hono/node-server';
import { createReadStream } from 'node:fs';
import { chmod, lstat, stat, unlink } from 'node:fs/promises';
import { connect, type Server } from 'node:net';
import { Readable } from 'node:stream';
import { LOCAL_ACTOR } from './actors.js';
import { LOCAL_BACKUP_PATH } from './local-routes.js';
import type { Logger } from './logger.js';
import type { Registry } from './registry/index.js';

export interface LocalSocketDeps {
  path: string;
  app: { fetch: (request: Request, env: Record<string, unknown>) => Response | Promise<Response> };
  registry: Registry;
  log: Logger;
  now?: () => number;
}

export interface LocalSocket {
  path: string;
  close(): Promise<void>;
}

export async function listenOnLocalSocket(deps: LocalSocketDeps): Promise<LocalSocket> {
  await removeStaleSocket(deps.path);
  const server = createAdaptorServer({
    fetch: (request: Request, env: Record<string, unknown>) =>
      new URL(request.url).pathname === LOCAL_BACKUP_PATH ? serveBackup(deps, request) : deps.app.fetch(request, { ...env, local: true }),
  }) as Server;
  // Bind with a umask that leaves only the owner's bits, so the socket is never reachable by
  // others, not even between listen() and chmod().
  const previous = setUmask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(deps.path, () => (server.off('error', reject), resolve()));
    });
  } finally {
    if (previous !== null) setUmask(previous);
  }
  await chmod(deps.path, 0o600);
  deps.log.info({ socket: deps.path }, 'operator socket listening');
  return {
    path: deps.path,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function serveBackup(deps: LocalSocketDeps, request: Request): Promise<Response> {
  if (request.method !== 'GET') return new Response('use GET\n', { status: 405, headers: { allow: 'GET' } });
  const at = (deps.now ?? Date.now)();
  const snapshot = await deps.registry.snapshot();
  const { size } = await stat(snapshot.path);
  deps.registry.audit.record({ at, actor: LOCAL_ACTOR, action: 'backup', outcome: 'ok', detail: `${size} bytes` });
  const file = createReadStream(snapshot.path);
  // The temporary copy goes as soon as the stream is done, whether it finished or the client left.
  file.once('close', () => void snapshot.remove());
  return new Response(Readable.toWeb(file) as ReadableStream, {
    headers: { 'content-type': 'application/vnd.sqlite3', 'content-length': String(size) },
  });
}

/** Sets the umask and returns the previous one; null in a worker thread, which may not (chmod still applies). */
function setUmask(mask: number): number | null {
  try {
    return process.umask(mask);
  } catch {
    return null;
  }
}

/** Removes a socket file left by a process that died; refuses when a live server still answers on it. */
async function removeStaleSocket(path: string): Promise<void> {
  const info = await lstat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  if (!info) return;
  if (!info.isSocket()) throw new Error(`${path} exists and is not a socket; refusing to replace it`);
  if (await answers(path)) throw new Error(`another process is listening on ${path} (is wgnode already running?)`);
  await unlink(path);
}

function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

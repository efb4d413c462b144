// How the CLI reaches a wgnode: HTTP over the local unix socket (acting as `local`, no token), or
// over the network to --url with a bearer token. Both speak the same GraphQL API.
import { createWriteStream } from 'node:fs';
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { pipeline } from 'node:stream/promises';
import { CliError, EXIT } from './errors.js';

export type Target = { kind: 'socket'; socketPath: string } | { kind: 'url'; url: string; token: string | null };

export interface Client {
  target: Target;
  /** Runs one GraphQL operation; returns `data`, or throws a CliError carrying the first error's code. */
  graphql<T = unknown>(query: string, variables?: Record<string, unknown>): Promise<T>;
  /** GETs `path` and streams the body into `file` (created 0600). Returns the bytes written. */
  download(path: string, file: string): Promise<number>;
}

const TIMEOUT_MS = 30_000;

function describeTarget(target: Target): string {
  return target.kind === 'socket' ? `socket ${target.socketPath}` : target.url;
}

export function createClient(target: Target): Client {
  function send(method: string, path: string, body?: string): Promise<IncomingMessage> {
    const headers: Record<string, string> = { accept: 'application/json', host: 'localhost' };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    let options: RequestOptions;
    let request = httpRequest;
    if (target.kind === 'socket') {
      options = { socketPath: target.socketPath, path, method, headers };
    } else {
      const url = new URL(path.replace(/^\//, ''), target.url.endsWith('/') ? target.url : `${target.url}/`);
      if (url.protocol === 'https:') request = httpsRequest;
      if (target.token) headers.authorization = `Bearer ${target.token}`;
      headers.host = url.host;
      options = { protocol: url.protocol, hostname: url.hostname, port: url.port, path: url.pathname + url.search, method, headers };
    }
    return new Promise((resolve, reject) => {
      const req = request({ ...options, timeout: TIMEOUT_MS }, resolve);
      req.once('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
      req.once('error', (error) => reject(connectionError(target, error)));
      req.end(body);
    });
  }

  return {
    target,
    async graphql<T>(query: string, variables?: Record<string, unknown>): Promise<T> {
      const res = await send('POST', '/graphql', JSON.stringify({ query, variables }));
      const text = await readText(res);
      let payload: { data?: unknown; errors?: { message?: string; extensions?: { code?: string } }[] };
      try {
        payload = JSON.parse(text) as typeof payload;
      } catch {
        throw new CliError(EXIT.UNREACHABLE, `HTTP_${res.statusCode}`, `${describeTarget(target)} did not answer like wgnode (HTTP ${res.statusCode})`);
      }
      const first = payload.errors?.[0];
      if (first) {
        const code = first.extensions?.code ?? `HTTP_${res.statusCode}`;
        throw new CliError(exitCodeFor(res.statusCode ?? 0, code), code, first.message ?? 'request failed');
      }
      return payload.data as T;
    },
    async download(path, file) {
      const res = await send('GET', path);
      if (res.statusCode !== 200) {
        const text = await readText(res);
        const code = `HTTP_${res.statusCode}`;
        throw new CliError(exitCodeFor(res.statusCode ?? 0, code), code, text.trim().slice(0, 200) || 'download failed');
      }
      const out = createWriteStream(file, { mode: 0o600, flags: 'wx' });
      await pipeline(res, out);
      return out.bytesWritten;
    },
  };
}

function exitCodeFor(status: number, code: string): (typeof EXIT)[keyof typeof EXIT] {
  if (status === 401 || status === 403 || code === 'UNAUTHENTICATED' || code === 'FORBIDDEN') return EXIT.AUTH;
  if (code === 'REMOVAL_PENDING') return EXIT.PENDING;
  return EXIT.FAILED;
}

function connectionError(target: Target, error: NodeJS.ErrnoException): CliError {
  const where = describeTarget(target);
  if (error.code === 'EACCES' && target.kind === 'socket') {
    return new CliError(EXIT.AUTH, 'EACCES', `permission denied on ${target.socketPath}: run as the user that runs wgnode serve (or root)`);
  }
  const hint =
    target.kind === 'socket'
      ? 'is `wgnode serve` running? (set WGNODE_SOCKET or --socket if it listens elsewhere; `wgnode doctor` checks)'
      : 'is the node up and the URL right?';
  return new CliError(EXIT.UNREACHABLE, error.code ?? 'UNREACHABLE', `cannot reach wgnode at ${where} (${error.message}); ${hint}`);
}

async function readText(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

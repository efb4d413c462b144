// The container's HEALTHCHECK (`node dist/src/healthcheck.js`): GET /livez where this node's own
// configuration says the server listens — its operator socket when there is one, else the HTTP
// port, on loopback when the server listens on every address. Exits 0 when healthy, else 1.
import { request } from 'node:http';
import { pathToFileURL } from 'node:url';
import { loadConfig, type Config } from './config.js';

export type HealthTarget = { socketPath: string } | { host: string; port: number };

export function healthTarget(config: Pick<Config, 'socketPath' | 'host' | 'port'>): HealthTarget {
  if (config.socketPath) return { socketPath: config.socketPath };
  // A wildcard address is not one to connect to; loopback reaches it (IPv4 also for `::`, which
  // listens dual-stack, and a container may have no IPv6 loopback).
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  return { host, port: config.port };
}

/** Whether GET /livez at `target` answers 200 within `timeoutMs`. */
export function probe(target: HealthTarget, timeoutMs = 4000): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ ...target, path: '/livez', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(false));
    req.end();
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  let target: HealthTarget;
  try {
    target = healthTarget(loadConfig());
  } catch (error) {
    console.error(`healthcheck: ${(error as Error).message}`);
    process.exit(1);
  }
  process.exit((await probe(target)) ? 0 : 1);
}

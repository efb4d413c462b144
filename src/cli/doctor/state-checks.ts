// Doctor checks of the node's state: the registry file (read-only: doctor never writes it), the
// operator socket and whether a server answers on it, and the clock.
import { constants } from 'node:fs';
import { access, lstat } from 'node:fs/promises';
import { request } from 'node:http';
import { inspectRegistryFile, SCHEMA_VERSION } from '../../registry/file-inspection.js';
import type { CheckResult } from './system-checks.js';

export interface DatabaseFacts {
  /** Newest time the registry recorded (ms): the clock must not be behind it. */
  newestAt: number | null;
}

export async function checkDatabase(path: string): Promise<{ result: CheckResult; facts: DatabaseFacts }> {
  const name = 'database';
  const none = { newestAt: null };
  if (path === ':memory:') return { result: { name, ok: true, detail: 'in memory (WGNODE_DB=:memory:): nothing to check' }, facts: none };
  try {
    await access(path, constants.R_OK | constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const fix = code === 'ENOENT' ? 'start `wgnode serve` once to create it, or set WGNODE_DB to the registry' : `give the user running wgnode read and write access to ${path}`;
    return { result: { name, ok: false, detail: `${path}: ${code === 'ENOENT' ? 'does not exist' : 'not readable and writable'}`, fix }, facts: none };
  }
  try {
    return inspectRegistryFile(path, (file) => {
      const integrity = file.integrity();
      const version = file.schemaVersion();
      if (integrity !== 'ok') {
        return { result: { name, ok: false, detail: `${path}: integrity_check says ${integrity}`, fix: 'stop wgnode and restore the latest `wgnode backup`' }, facts: none };
      }
      if (version > SCHEMA_VERSION) {
        return { result: { name, ok: false, detail: `${path}: schema v${version} is newer than this wgnode (v${SCHEMA_VERSION})`, fix: 'run the wgnode version that wrote it' }, facts: none };
      }
      const newestAt = file.newestAuditAt();
      const sessions = file.counts().liveSessions;
      return { result: { name, ok: true, detail: `${path}: integrity ok, schema v${version}, ${sessions} live sessions` }, facts: { newestAt } };
    });
  } catch (error) {
    return { result: { name, ok: false, detail: `${path}: cannot open: ${(error as Error).message}`, fix: 'is it a wgnode registry? check WGNODE_DB' }, facts: none };
  }
}

export async function checkSocket(path: string | null): Promise<CheckResult[]> {
  if (path === null) return [{ name: 'socket', ok: true, detail: 'disabled (WGNODE_SOCKET=off): the CLI needs --url and --token' }];
  const info = await lstat(path).catch(() => null);
  if (!info) {
    return [{ name: 'server', ok: false, detail: `no socket at ${path}: wgnode serve is not running (or listens elsewhere)`, fix: 'start it (systemctl start wgnode / wgnode serve), or set WGNODE_SOCKET' }];
  }
  if (!info.isSocket()) return [{ name: 'socket', ok: false, detail: `${path} is not a socket`, fix: 'remove it and restart wgnode serve' }];
  const mode = info.mode & 0o777;
  const results: CheckResult[] = [
    mode & 0o077
      ? { name: 'socket', ok: false, detail: `${path} is mode ${mode.toString(8)}: others may act as the local operator`, fix: `chmod 600 ${path} (wgnode serve creates it 0600)` }
      : { name: 'socket', ok: true, detail: `${path}, mode 600, owner uid ${info.uid}` },
  ];
  const answer = await livez(path);
  results.push(
    answer === 'ok'
      ? { name: 'server', ok: true, detail: 'wgnode serve answers on the socket' }
      : { name: 'server', ok: false, detail: `nothing answers on ${path} (${answer})`, fix: 'start wgnode serve; a stale socket file is removed when it starts' },
  );
  return results;
}

function livez(socketPath: string): Promise<string> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/livez', timeout: 2000, headers: { host: 'localhost' } }, (res) => {
      res.resume();
      resolve(res.statusCode === 200 ? 'ok' : `HTTP ${res.statusCode}`);
    });
    req.once('timeout', () => req.destroy(new Error('timed out')));
    req.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    req.end();
  });
}

// Before this, the clock is surely wrong (no NTP sync yet, or a dead RTC battery).
const EARLIEST_SANE = Date.parse('2025-01-01T00:00:00Z');
const TOLERANCE_MS = 5 * 60_000;

export function checkClock(now: number, facts: DatabaseFacts): CheckResult {
  const name = 'clock';
  const fix = 'sync the clock (timedatectl set-ntp true; chronyc tracking): handshake ages and `online` depend on it';
  if (now < EARLIEST_SANE) return { name, ok: false, detail: `system time ${new Date(now).toISOString()} is implausibly early`, fix };
  if (facts.newestAt !== null && facts.newestAt - now > TOLERANCE_MS) {
    return { name, ok: false, detail: `system time is behind the registry's newest entry (${new Date(facts.newestAt).toISOString()}): the clock went back`, fix };
  }
  return { name, ok: true, detail: `${new Date(now).toISOString()} (UTC)` };
}

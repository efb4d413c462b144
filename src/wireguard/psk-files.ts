// Preshared keys reach `wg set` as files, never as arguments: argv is visible to every local
// user (/proc/PID/cmdline) and ends up in logs and metrics. Stdin would carry one key per call,
// but a coalesced call (and a restore after an interface restart) carries many, so each key gets
// a file of its own in a private directory (0700, files 0600) that is removed as soon as wg exits.
// The directory is on tmpfs (/dev/shm) when there is one, so a key never touches a disk.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BASE = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();

/** Writes each secret to its own private file, runs fn with a path lookup, then removes them all. */
export async function withPresharedKeyFiles<T>(secrets: readonly string[], fn: (pathOf: (secret: string) => string) => Promise<T>): Promise<T> {
  if (secrets.length === 0) return fn(() => { throw new Error('no preshared key file was prepared'); });
  // mkdtemp creates the directory 0700: nobody else can list it or open a file in it.
  const dir = await mkdtemp(join(BASE, 'wgnode-psk-'));
  try {
    const paths = new Map<string, string>();
    for (const secret of secrets) {
      if (paths.has(secret)) continue;
      const path = join(dir, String(paths.size));
      await writeFile(path, `${secret}\n`, { mode: 0o600, flag: 'wx' });
      paths.set(secret, path);
    }
    return await fn((secret) => paths.get(secret)!);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

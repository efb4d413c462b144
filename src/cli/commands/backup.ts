// `wgnode backup FILE`: an online, consistent copy of the registry. The server makes the copy with
// SQLite's backup API and streams it over the local socket only (a network caller can neither
// fetch it nor make the node write a file); the CLI writes FILE itself, checks it, then renames
// it into place, so FILE is either a complete, verified copy or absent.
import { rename, rm } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { LOCAL_BACKUP_PATH } from '../../local-routes.js';
import { CliError, EXIT, usage } from '../errors.js';
import { formatBytes } from '../format.js';
import type { RegisterCommand } from './types.js';

export const registerBackup: RegisterCommand = (program, action) => {
  program
    .command('backup')
    .description('write an online, consistent copy of the registry to FILE (over the local socket only)')
    .argument('<FILE>', 'where to write the copy (created 0600)')
    .option('--force', 'replace FILE if it exists')
    .action(
      action<{ force?: boolean }>(async (ctx, options, [file]) => {
        const client = ctx.client();
        if (client.target.kind !== 'socket') throw usage('backup works on the node itself, over the local socket (drop --url / WGNODE_URL)');
        const target = resolve(ctx.io.cwd, file!);
        if (existsSync(target) && !options.force) throw usage(`${target} exists; pass --force to replace it`);
        const partial = join(dirname(target), `.${basename(target)}.partial-${process.pid}`);
        try {
          const bytes = await client.download(LOCAL_BACKUP_PATH, partial);
          await fsync(partial);
          const check = await verify(partial);
          await rename(partial, target);
          const result = { file: target, bytes, ...check };
          ctx.print(result, () =>
            `backup written: ${target} (${formatBytes(bytes)}, schema v${check.schemaVersion}, ${check.sessions} sessions, ${check.auditEntries} audit entries, integrity ok)\n`,
          );
        } finally {
          for (const leftover of [partial, `${partial}-wal`, `${partial}-shm`, `${partial}-journal`]) await rm(leftover, { force: true });
        }
      }),
    );
};

async function fsync(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Opens the copy read-only and proves it is a sound registry before it takes FILE's name. */
async function verify(path: string): Promise<{ schemaVersion: number; sessions: number; auditEntries: number }> {
  try {
    // Loaded here: the other commands do not need better-sqlite3.
    const { inspectRegistryFile } = await import('../../registry/file-inspection.js');
    return inspectRegistryFile(path, (file) => {
      const integrity = file.integrity();
      if (integrity !== 'ok') throw new Error(`integrity_check: ${integrity}`);
      const { sessions, auditEntries } = file.counts();
      return { schemaVersion: file.schemaVersion(), sessions, auditEntries };
    });
  } catch (error) {
    throw new CliError(EXIT.FAILED, 'BACKUP_INVALID', `the copy did not verify, nothing written: ${(error as Error).message}`);
  }
}

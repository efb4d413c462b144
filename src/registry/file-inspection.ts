// Read-only inspection of a registry file by another process (`wgnode doctor`, the check of a
// `wgnode backup` copy): it never writes the file, never migrates it, and closes it when done.
import Database from 'better-sqlite3';
import { MIGRATIONS } from './migrations.js';

export interface RegistryFile {
  /** "ok", or the first problem PRAGMA integrity_check found. */
  integrity(): string;
  schemaVersion(): number;
  /** Read only once integrity and schema version are known good. */
  counts(): { sessions: number; liveSessions: number; auditEntries: number };
  /** Newest time the audit log recorded (ms), or null when it is empty. */
  newestAuditAt(): number | null;
}

/** The schema version this wgnode writes; a file above it was written by a newer wgnode. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** Opens the file read-only (it must exist), hands it to fn, and closes it whatever happens. */
export function inspectRegistryFile<T>(path: string, fn: (file: RegistryFile) => T): T {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return fn({
      integrity: () => String(db.pragma('integrity_check', { simple: true })),
      schemaVersion: () => db.pragma('user_version', { simple: true }) as number,
      counts: () =>
        db
          .prepare(
            `SELECT (SELECT count(*) FROM sessions) AS sessions, (SELECT count(*) FROM sessions WHERE status <> 'ENDED') AS liveSessions,
               (SELECT count(*) FROM audit_log) AS auditEntries`,
          )
          .get() as { sessions: number; liveSessions: number; auditEntries: number },
      newestAuditAt: () => (db.prepare('SELECT max(at) AS at FROM audit_log').get() as { at: number | null }).at,
    });
  } finally {
    db.close();
  }
}

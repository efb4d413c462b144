// The soak's only raw access to the agent's SQLite file, kept in one place so it can be swapped
// when the registry changes: a second connection that holds the write lock (the "SQLite busy"
// fault), and the integrity check after convergence.
import Database from 'better-sqlite3';

/**
 * Takes the database's write lock from a second connection (`BEGIN IMMEDIATE`), runs `during`
 * while it is held, and releases it (`ROLLBACK`) after `holdMs`. Returns what `during` returns.
 */
export async function withWriteLockHeld<T>(dbPath: string, holdMs: number, during: () => Promise<T>): Promise<T> {
  const db = new Database(dbPath, { timeout: 2000 });
  try {
    db.exec('BEGIN IMMEDIATE');
    const work = during();
    await new Promise((resolve) => setTimeout(resolve, holdMs));
    db.exec('ROLLBACK');
    return await work;
  } finally {
    db.close();
  }
}

/** `PRAGMA integrity_check` on a read-only connection: 'ok' when the file is sound. */
export function integrityCheck(dbPath: string): string {
  const db = new Database(dbPath, { readonly: true });
  try {
    return String(db.pragma('integrity_check', { simple: true }));
  } finally {
    db.close();
  }
}

// The registry's one error of its own: a transaction that could not commit (disk full, I/O error,
// read-only or closed database, a batch whose savepoint the failure took away). Nothing of it is
// saved and the caller may retry; the use cases answer it as a 503 (sessions/transactions.ts).
export class RegistryUnavailableError extends Error {
  override name = 'RegistryUnavailableError';
  /** The SQLite code of the cause when there is one (SQLITE_FULL, SQLITE_IOERR…, SQLITE_BUSY…). */
  readonly sqliteCode: string | null;
  constructor(cause: unknown) {
    const code = (cause as { code?: unknown } | null)?.code;
    super(`the registry could not commit (${typeof code === 'string' ? code : describe(cause)}); nothing was saved`, { cause });
    this.sqliteCode = typeof code === 'string' ? code : null;
  }
}

function describe(cause: unknown): string {
  return (cause instanceof Error ? cause.message : String(cause)).split('\n')[0]!.slice(0, 120);
}

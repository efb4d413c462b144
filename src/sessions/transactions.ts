// The use cases' registry transactions: a refusal is returned from the transaction (so its audit
// row commits) and thrown after it; SQLITE_BUSY becomes a retryable answer.
import { RegistryUnavailableError, type AuditEntry } from '../registry/index.js';
import type { UseCaseDeps } from './deps.js';
import { DomainError, errors } from './errors.js';

/** A refusal is returned from the transaction, not thrown, so that its audit row commits. */
export type Refusal = { refused: DomainError };

export function isRefusal(value: unknown): value is Refusal {
  return typeof value === 'object' && value !== null && 'refused' in value;
}

/** The same refusal again within this window counts on its first row instead of adding one. */
export const REFUSAL_WINDOW_MS = 60_000;

/** Audits a refused action (inside the transaction) and returns the refusal for the transaction to throw. */
export function refuse(deps: UseCaseDeps, audit: Omit<AuditEntry, 'outcome'>, error: DomainError): Refusal {
  deps.registry.audit.recordRefusal({ ...audit, outcome: `refused:${error.code}` }, REFUSAL_WINDOW_MS);
  return { refused: error };
}

/** Runs fn in a transaction of its own; throws a refusal it returned once the transaction committed. */
export function inTransaction<T>(deps: UseCaseDeps, fn: () => T): Exclude<T, Refusal> {
  let result: T;
  try {
    result = deps.registry.transaction(fn);
  } catch (error) {
    throw busyError(error) ?? error;
  }
  return unlessRefused(result);
}

/** Like inTransaction, but shares the commit with the other transactions ready in this turn (registry.groupTransaction). */
export function inGroupTransaction<T>(deps: UseCaseDeps, fn: () => T): Promise<Exclude<T, Refusal>> {
  return deps.registry.groupTransaction(fn).then(unlessRefused, (error: unknown) => {
    throw busyError(error) ?? error;
  });
}

function unlessRefused<T>(result: T): Exclude<T, Refusal> {
  if (isRefusal(result)) throw result.refused;
  return result as Exclude<T, Refusal>;
}

/** A registry that could not commit as the retryable answer callers get (503); null for any other error. */
function busyError(error: unknown): DomainError | null {
  const code = error instanceof RegistryUnavailableError ? error.sqliteCode : (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.startsWith('SQLITE_BUSY')) {
    return new DomainError('REGISTRY_BUSY', 'The node registry is busy; retry the request', 503, { cause: error });
  }
  if (error instanceof RegistryUnavailableError || (typeof code === 'string' && UNAVAILABLE.some((c) => code.startsWith(c)))) {
    return errors.registryUnavailable(error);
  }
  return null;
}

// A registry that cannot write at the moment: nothing was saved, a retry may succeed.
const UNAVAILABLE = ['SQLITE_FULL', 'SQLITE_IOERR', 'SQLITE_READONLY', 'SQLITE_LOCKED', 'SQLITE_CANTOPEN'];

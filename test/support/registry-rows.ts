// Reading a registry's rows in tests through its own methods (the registry owns all SQL).
import type { AuditFilter, AuditRow, Registry, Session, SessionFilter } from '../../src/registry/index.js';

const ALL = 1_000_000;

/** Every session matching the filter, oldest (smallest id) first. */
export const sessionRows = (registry: Pick<Registry, 'sessions'>, filter: SessionFilter = {}): Session[] => registry.sessions.list(filter, ALL, null);

/** Every audit row matching the filter, oldest (smallest id) first. */
export const auditRows = (registry: Pick<Registry, 'audit'>, filter: AuditFilter = {}): AuditRow[] => registry.audit.list(filter, ALL, null).reverse();

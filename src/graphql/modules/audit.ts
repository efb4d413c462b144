// The audit log as a query: who changed what, when, why, and how it ended. Newest first,
// keyset-paginated like `sessions` (opaque cursors), filtered by user, device, action and time.
import type { AuditFilter, AuditRow, Registry } from '../../registry/index.js';
import { errors } from '../../sessions/index.js';
import type { SchemaModule } from '../build-schema.js';
import { readPageArgs, toConnection } from '../paging.js';
import { iso } from '../views.js';

const typeDefs = /* GraphQL */ `
  "One recorded state change or refused action."
  type AuditEntry {
    id: ID!
    at: String!
    "Who asked: a token's name, a JWT subject, local (the operator's socket), or reconciler."
    actor: String!
    action: String!
    userId: Int
    deviceId: Int
    sessionId: ID
    reason: String
    "ok, pending (recorded, not yet confirmed), or refused:CODE"
    outcome: String!
    detail: String
    "How many identical refusals (same actor, action, outcome, user and device) this entry stands for: repeats within a minute of the first are counted here instead of adding rows. 1 for everything else."
    count: Int!
    "When the last of those repeats came (null when count is 1)."
    lastAt: String
  }

  type AuditConnection {
    nodes: [AuditEntry!]!
    pageInfo: PageInfo!
    totalCount: Int!
  }

  extend type Query {
    "The audit log, newest first. since: an ISO-8601 timestamp (e.g. 2026-11-23T14:00:00Z)."
    auditLog(first: Int = 50, after: String, userId: Int, deviceId: Int, action: String, since: String): AuditConnection!
  }
`;

type Args = Record<string, unknown>;

export function createAuditModule(deps: { registry: Pick<Registry, 'audit'> }): SchemaModule {
  const { audit } = deps.registry;
  return {
    typeDefs,
    resolvers: {
      Query: {
        auditLog: (_: unknown, args: Args) => {
          const { first, cursorId: beforeId } = readPageArgs('audit', args);
          const filter: AuditFilter = {
            userId: args.userId as number | null,
            deviceId: args.deviceId as number | null,
            action: args.action as string | null,
            since: args.since == null ? null : parseTimestamp(args.since as string),
          };
          const rows = audit.list(filter, first + 1, beforeId);
          return toConnection('audit', rows, first, auditView, () => audit.count(filter));
        },
      },
    },
  };
}

function auditView(row: AuditRow) {
  return {
    id: String(row.id),
    at: iso(row.at),
    actor: row.actor,
    action: row.action,
    userId: row.userId,
    deviceId: row.deviceId,
    sessionId: row.sessionId === null ? null : String(row.sessionId),
    reason: row.reason,
    outcome: row.outcome,
    detail: row.detail,
    count: row.count,
    lastAt: row.lastAt === null ? null : iso(row.lastAt),
  };
}

// A date, or a date-time with Z or an offset: a time without a zone would mean the server's.
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** ISO-8601 → ms since the epoch; a 400 BAD_USER_INPUT for anything else. */
function parseTimestamp(value: string): number {
  const ms = ISO_8601.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) throw errors.badInput('since must be an ISO-8601 timestamp, e.g. 2026-11-23T14:00:00Z');
  return ms;
}

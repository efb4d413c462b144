// Keyset pagination shared by every connection (sessions, auditLog): page-size and cursor checks,
// opaque cursors, and a page built from one row more than asked (that extra row tells whether
// there is a next page without a second query).
import { MAX_PAGE_SIZE } from '../api-limits.js';
import { errors } from '../sessions/index.js';

/** What a cursor points into: a cursor of one connection is refused by another. */
export type CursorKind = 'session' | 'audit';

/** Opaque keyset cursors: callers must not build them, so they are base64url of kind and last id. */
export function encodeCursor(kind: CursorKind, id: number): string {
  return Buffer.from(`${kind}:${id}`).toString('base64url');
}

function decodeCursor(kind: CursorKind, cursor: string): number | null {
  const match = /^([a-z]+):(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match && match[1] === kind ? Number(match[2]) : null;
}

/** Checks `first` and `after`; returns how many rows to read (first + 1) and the cursor's id. */
export function readPageArgs(kind: CursorKind, args: { first?: unknown; after?: unknown }): { first: number; cursorId: number | null } {
  const first = args.first as number;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    throw errors.badInput(`first must be between 1 and ${MAX_PAGE_SIZE}`);
  }
  if (args.after == null) return { first, cursorId: null };
  const cursorId = decodeCursor(kind, args.after as string);
  if (cursorId === null) throw errors.badInput('after is not a cursor this node issued');
  return { first, cursorId };
}

/** A connection from rows read with limit first + 1. `totalCount` runs only when asked for. */
export function toConnection<Row extends { id: number }, Node>(
  kind: CursorKind,
  rows: readonly Row[],
  first: number,
  view: (row: Row) => Node,
  totalCount: () => number,
) {
  const last = rows[Math.min(rows.length, first) - 1];
  return {
    nodes: rows.slice(0, first).map(view),
    pageInfo: { hasNextPage: rows.length > first, endCursor: last ? encodeCursor(kind, last.id) : null },
    totalCount,
  };
}

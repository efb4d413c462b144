// Reads a connection (nodes, pageInfo, totalCount) page by page until `limit` nodes or the end.
import { MAX_PAGE_SIZE } from '../api-limits.js';
import type { Client } from './client.js';

interface Connection<T> {
  nodes: T[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  totalCount: number;
}

export async function fetchPages<T>(
  client: Client,
  query: string,
  field: string,
  variables: Record<string, unknown>,
  limit: number,
): Promise<{ nodes: T[]; totalCount: number }> {
  const nodes: T[] = [];
  let after: string | null = null;
  // Pages as large as the server allows: the fewest round trips.
  for (;;) {
    const data: Record<string, Connection<T>> = await client.graphql(query, { ...variables, first: Math.min(MAX_PAGE_SIZE, limit - nodes.length), after });
    const page: Connection<T> = data[field]!;
    nodes.push(...page.nodes);
    after = page.pageInfo.endCursor;
    if (!page.pageInfo.hasNextPage || nodes.length >= limit) return { nodes, totalCount: page.totalCount };
  }
}

// Reads a connection (nodes, pageInfo, totalCount) page by page until `limit` nodes or the end.
import type { Client } from './client.js';

interface Connection<T> {
  nodes: T[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  totalCount: number;
}

/** The server's page size limit (MAX_PAGE_SIZE): fewer round trips than the default page. */
const PAGE = 500;

export async function fetchPages<T>(
  client: Client,
  query: string,
  field: string,
  variables: Record<string, unknown>,
  limit: number,
): Promise<{ nodes: T[]; totalCount: number }> {
  const nodes: T[] = [];
  let after: string | null = null;
  for (;;) {
    const data: Record<string, Connection<T>> = await client.graphql(query, { ...variables, first: Math.min(PAGE, limit - nodes.length), after });
    const page: Connection<T> = data[field]!;
    nodes.push(...page.nodes);
    after = page.pageInfo.endCursor;
    if (!page.pageInfo.hasNextPage || nodes.length >= limit) return { nodes, totalCount: page.totalCount };
  }
}

// Parsing and validating the same query text again and again is waste: the control plane sends
// a handful of distinct texts. Each is parsed and validated once; the cache is bounded (oldest
// entry out) so a caller sending endless distinct texts cannot grow memory.
import { GraphQLError, parse, validate, type DocumentNode, type GraphQLSchema, type ValidationRule } from 'graphql';

export type Prepared = { document: DocumentNode; errors: readonly GraphQLError[] } | { syntaxError: GraphQLError };

export function createDocumentCache(schema: GraphQLSchema, rules: readonly ValidationRule[], maxEntries = 1000) {
  const cache = new Map<string, Prepared>();
  return function prepare(query: string): Prepared {
    const hit = cache.get(query);
    if (hit) return hit;
    let prepared: Prepared;
    try {
      const document = parse(query);
      prepared = { document, errors: validate(schema, document, rules) };
    } catch (error) {
      if (!(error instanceof GraphQLError)) throw error;
      prepared = { syntaxError: error };
    }
    if (cache.size >= maxEntries) cache.delete(cache.keys().next().value!);
    cache.set(query, prepared);
    return prepared;
  };
}

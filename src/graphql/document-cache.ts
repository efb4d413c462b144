// Parsing and validating the same query text again and again is waste: the control plane sends
// a handful of distinct texts. Each is parsed and validated once; the cache is bounded (least
// recently used out, long texts not kept) so a caller sending endless distinct texts cannot grow memory.
import { GraphQLError, parse, validate, type DocumentNode, type GraphQLSchema, type ValidationRule } from 'graphql';

export const MAX_CACHED_QUERY_LENGTH = 16 * 1024;

export type Prepared = { document: DocumentNode; errors: readonly GraphQLError[] } | { syntaxError: GraphQLError };

export function createDocumentCache(
  schema: GraphQLSchema,
  rules: readonly ValidationRule[],
  maxEntries = 1000,
  options: { maxTokens?: number; gateRules?: readonly ValidationRule[] } = {},
) {
  const cache = new Map<string, Prepared>();
  return function prepare(query: string): Prepared {
    const hit = cache.get(query);
    if (hit) {
      // Least recently used goes first: a flood of one-off texts cannot push out the hot ones.
      cache.delete(query);
      cache.set(query, hit);
      return hit;
    }
    let prepared: Prepared;
    try {
      const document = parse(query, { maxTokens: options.maxTokens });
      // The cheap limits first: a query they refuse never reaches the costlier spec rules
      // (overlapping-fields checking is quadratic in repeated fields).
      const gate = options.gateRules?.length ? validate(schema, document, options.gateRules) : [];
      prepared = { document, errors: gate.length ? gate : validate(schema, document, rules) };
    } catch (error) {
      // Pathological nesting can exhaust the stack in the parser or a recursive rule: the
      // caller's fault (400), not the server's.
      const failure = error instanceof RangeError ? new GraphQLError('Syntax Error: the query is nested too deeply') : error;
      if (!(failure instanceof GraphQLError)) throw failure;
      prepared = { syntaxError: failure };
    }
    // The control plane's texts are a few hundred bytes; a huge one-off text is parsed but not kept,
    // so the cache's memory stays bounded by entries × MAX_CACHED_QUERY_LENGTH, not by the body limit.
    if (query.length > MAX_CACHED_QUERY_LENGTH) return prepared;
    if (cache.size >= maxEntries) cache.delete(cache.keys().next().value!);
    cache.set(query, prepared);
    return prepared;
  };
}

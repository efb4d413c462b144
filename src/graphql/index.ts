// The GraphQL layer's entry: schema + resolvers + handler.
import type { Logger } from '../logger.js';
import type { ValidationRule } from 'graphql';
import { buildExecutableSchema, type SchemaModule } from './build-schema.js';
import { createGraphQLHandler, type GraphQLContext } from './handler.js';
import { createLimitRules, DEFAULT_QUERY_LIMITS, type QueryLimits } from './limits.js';
import { createResolvers, type ResolverDeps } from './resolvers.js';
import { typeDefs } from './schema.js';

export interface GraphQLOptions {
  log: Logger;
  validationRules?: readonly ValidationRule[];
  /** Feature modules beside the core (e.g. reconcile report, bulk mutations, audit log). */
  modules?: readonly SchemaModule[];
  /** Depth, alias, token, cost limits and introspection (src/graphql/limits.ts). */
  limits?: Partial<QueryLimits>;
  /** Mutation budget per caller: 0 = go, else seconds to wait (429). */
  limitMutation?: (context: GraphQLContext) => number;
}

export function createGraphQL(deps: ResolverDeps & GraphQLOptions) {
  const core: SchemaModule = { typeDefs, resolvers: createResolvers(deps) };
  const schema = buildExecutableSchema([core, ...(deps.modules ?? [])]);
  const limits = { ...DEFAULT_QUERY_LIMITS, ...deps.limits };
  const now = deps.now ?? Date.now;
  const handle = createGraphQLHandler({
    schema,
    log: deps.log,
    validationRules: deps.validationRules,
    guards: {
      maxTokens: limits.maxTokens,
      gateRules: createLimitRules(limits),
      limitMutation: deps.limitMutation,
      // A refused admin action is an event the operator wants to see: who tried what.
      onForbiddenMutation(context, fields) {
        try {
          deps.registry.audit.record({ at: now(), actor: context.actor, action: fields.join(',') || 'mutation', outcome: 'refused:FORBIDDEN', detail: 'needs scope admin' });
        } catch (error) {
          deps.log.error({ err: error, actor: context.actor }, 'could not audit a refused mutation');
        }
      },
    },
  });
  return { schema, handle };
}

export type { GraphQLContext, GraphQLRequest, GraphQLResponse } from './handler.js';
export type { NodeInfoSource } from './resolvers.js';
export type { SchemaModule, ResolverMap } from './build-schema.js';

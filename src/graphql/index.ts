// The GraphQL layer's entry: schema modules (the core one first) + the handler.
import type { IdempotencyGuard } from '../idempotency/guard.js';
import type { Logger } from '../logger.js';
import type { ValidationRule } from 'graphql';
import type { SessionService } from '../sessions/index.js';
import { buildExecutableSchema, type SchemaModule } from './build-schema.js';
import { createGraphQLHandler, type GraphQLContext } from './handler.js';
import { createLimitRules, DEFAULT_QUERY_LIMITS, type QueryLimits } from './limits.js';

export interface GraphQLOptions {
  log: Logger;
  /** The core module (src/graphql/modules/core.ts) and the feature modules beside it (reconcile report, bulk mutations, audit log). */
  modules: readonly SchemaModule[];
  /** Records a mutation refused for want of scope. */
  service: Pick<SessionService, 'recordForbiddenMutation'>;
  validationRules?: readonly ValidationRule[];
  /** Depth, alias, token, cost limits and introspection (src/graphql/limits.ts). */
  limits?: Partial<QueryLimits>;
  /** Mutation budget per caller: 0 = go, else seconds to wait (429). */
  limitMutation?: (context: GraphQLContext) => number;
  /** Idempotency-Key on mutations (src/idempotency); without it the header is ignored. */
  idempotency?: IdempotencyGuard;
}

export function createGraphQL(options: GraphQLOptions) {
  const schema = buildExecutableSchema(options.modules);
  const limits = { ...DEFAULT_QUERY_LIMITS, ...options.limits };
  const handle = createGraphQLHandler({
    schema,
    log: options.log,
    validationRules: options.validationRules,
    guards: {
      maxTokens: limits.maxTokens,
      gateRules: createLimitRules(limits),
      limitMutation: options.limitMutation,
      idempotency: options.idempotency,
      // A refused admin action is an event the operator wants to see: who tried what.
      onForbiddenMutation: (context, fields) => options.service.recordForbiddenMutation({ actor: context.actor, mutations: fields }),
    },
  });
  return { schema, handle };
}

export type { GraphQLContext, GraphQLRequest, GraphQLResponse } from './handler.js';
export type { NodeInfoSource } from './modules/core.js';

// The GraphQL layer's entry: schema + resolvers + handler.
import type { Logger } from '../logger.js';
import type { ValidationRule } from 'graphql';
import { buildExecutableSchema, type SchemaModule } from './build-schema.js';
import { createGraphQLHandler } from './handler.js';
import { createResolvers, type ResolverDeps } from './resolvers.js';
import { typeDefs } from './schema.js';

export interface GraphQLOptions {
  log: Logger;
  validationRules?: readonly ValidationRule[];
  /** Feature modules beside the core (e.g. reconcile report, bulk mutations, audit log). */
  modules?: readonly SchemaModule[];
}

export function createGraphQL(deps: ResolverDeps & GraphQLOptions) {
  const core: SchemaModule = { typeDefs, resolvers: createResolvers(deps) };
  const schema = buildExecutableSchema([core, ...(deps.modules ?? [])]);
  return { schema, handle: createGraphQLHandler({ schema, log: deps.log, validationRules: deps.validationRules }) };
}

export type { GraphQLContext } from './context.js';
export type { GraphQLRequest, GraphQLResponse } from './handler.js';
export type { NodeInfoSource } from './resolvers.js';
export type { SchemaModule, ResolverMap } from './build-schema.js';

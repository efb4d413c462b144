// The GraphQL layer's entry: schema + resolvers + handler.
import type { Logger } from '../logger.js';
import type { ValidationRule } from 'graphql';
import { buildExecutableSchema } from './build-schema.js';
import { createGraphQLHandler } from './handler.js';
import { createResolvers, type ResolverDeps } from './resolvers.js';
import { typeDefs } from './schema.js';

export function createGraphQL(deps: ResolverDeps & { log: Logger; validationRules?: readonly ValidationRule[] }) {
  const schema = buildExecutableSchema(typeDefs, createResolvers(deps));
  return { schema, handle: createGraphQLHandler({ schema, log: deps.log, validationRules: deps.validationRules }) };
}

export type { GraphQLContext } from './context.js';
export type { GraphQLRequest, GraphQLResponse } from './handler.js';
export type { NodeInfoSource } from './resolvers.js';

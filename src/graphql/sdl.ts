// Re-exports of graphql-js used to build the schema, plus SDL concatenation.
import { buildASTSchema, concatAST, parse, type GraphQLSchema } from 'graphql';

export { isObjectType, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';

export function buildASTDocument(typeDefs: readonly string[]): GraphQLSchema {
  return buildASTSchema(concatAST(typeDefs.map((sdl) => parse(sdl))));
}

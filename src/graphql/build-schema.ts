// SDL + resolver map → executable schema, without a schema-tools dependency: every field named
// in the map gets its resolve function, and a typo in the map fails at start-up.
import { buildSchema, isObjectType, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';

export type ResolverMap = Record<string, Record<string, GraphQLFieldResolver<any, any>>>;

export function buildExecutableSchema(typeDefs: string, resolvers: ResolverMap): GraphQLSchema {
  const schema = buildSchema(typeDefs);
  for (const [typeName, fields] of Object.entries(resolvers)) {
    const type = schema.getType(typeName);
    if (!isObjectType(type)) throw new Error(`resolvers name ${typeName}, which is not an object type of the schema`);
    const schemaFields = type.getFields();
    for (const [fieldName, resolve] of Object.entries(fields)) {
      const field = schemaFields[fieldName];
      if (!field) throw new Error(`resolvers name ${typeName}.${fieldName}, which the schema does not have`);
      field.resolve = resolve;
    }
  }
  return schema;
}

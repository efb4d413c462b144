// SDL modules + resolver maps → one executable schema, without a schema-tools dependency: each
// feature is a module ({typeDefs, resolvers}) that may `extend type Query`; every field named in
// a resolver map gets its resolve function, and a typo in a map fails at start-up.
import { buildASTSchema, concatAST, isObjectType, parse, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';

// Each map holds resolvers of its own source and context types; graphql's own `field.resolve` is
// typed with `any` for the same reason.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ResolverMap = Record<string, Record<string, GraphQLFieldResolver<any, any>>>;

export interface SchemaModule {
  typeDefs: string;
  resolvers: ResolverMap;
}

export function buildExecutableSchema(modules: readonly SchemaModule[]): GraphQLSchema {
  const schema = buildASTSchema(concatAST(modules.map((m) => parse(m.typeDefs))));
  for (const [typeName, fields] of modules.flatMap((m) => Object.entries(m.resolvers))) {
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

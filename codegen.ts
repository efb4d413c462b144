// GraphQL Code Generator's configuration for the typed client (src/client): typed document nodes
// (as strings, so the client needs no graphql runtime) for the operations in src/client/operations,
// checked against schema.graphql, which `npm run schema` prints from the served schema.
// `npm run codegen` regenerates both; `npm run codegen:check` fails when either drifted.
export default {
  schema: ['schema.graphql'],
  documents: ['src/client/operations/core.graphql', 'src/client/operations/feed.graphql'],
  output: 'src/client/generated/operations.ts',
  plugins: ['typescript', 'typescript-operations', 'typed-document-node'],
  config: {
    documentMode: 'string',
    useTypeImports: true,
    enumsAsTypes: true,
    onlyOperationTypes: true,
    skipTypename: true,
    scalars: { ID: { input: 'string', output: 'string' } },
  },
} as const;

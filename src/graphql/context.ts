// Per-request state shared by the HTTP layer, the handler hooks and the resolvers.
export type GraphQLContext = {
  /** Audit name of the caller: a token's name, a JWT subject, or "local". */
  actor: string;
  scopes: ReadonlySet<string>;
};

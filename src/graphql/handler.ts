// graphql-http's spec-compliant handler, with three seams used: onSubscribe (cached parse and
// validation, then the scope check), onOperation (the HTTP status the contract wants), and
// formatError (one place that shapes every error).
import { getOperationAST, specifiedRules, type GraphQLError, type GraphQLSchema, type ValidationRule } from 'graphql';
import { createHandler, type OperationArgs, type Response as HandlerResponse } from 'graphql-http';
import type { Logger } from '../logger.js';
import type { GraphQLContext } from './context.js';
import { createDocumentCache } from './document-cache.js';
import { createFormatError, statusForResult } from './errors.js';

export interface GraphQLRequest {
  method: string;
  url: string;
  headers: Headers;
  body: () => Promise<string>;
  context: GraphQLContext;
}

export interface GraphQLResponse {
  status: number;
  headers: Record<string, string>;
  body: string | null;
}

interface RequestState {
  gql: GraphQLContext;
  /** Set once the operation ran: the status its result calls for. */
  status?: number;
}

export function createGraphQLHandler(options: { schema: GraphQLSchema; log: Logger; validationRules?: readonly ValidationRule[] }) {
  const { schema } = options;
  const prepare = createDocumentCache(schema, [...specifiedRules, ...(options.validationRules ?? [])]);

  const handler = createHandler<null, RequestState, GraphQLContext>({
    schema,
    formatError: createFormatError(options.log),
    onSubscribe(req, params): OperationArgs<GraphQLContext> | HandlerResponse | readonly GraphQLError[] {
      const prepared = prepare(params.query);
      if ('syntaxError' in prepared) return [prepared.syntaxError];
      if (prepared.errors.length) return prepared.errors;
      const operation = getOperationAST(prepared.document, params.operationName)?.operation;
      const needed = operation === 'mutation' ? 'admin' : 'read';
      const scopes = req.context.gql.scopes;
      if (!scopes.has('admin') && !scopes.has(needed)) return forbidden(needed);
      return {
        schema,
        document: prepared.document,
        operationName: params.operationName,
        variableValues: params.variables,
        contextValue: req.context.gql,
      };
    },
    onOperation(req, _args, result) {
      req.context.status = statusForResult(result);
    },
  });

  return async function handleGraphQL(request: GraphQLRequest): Promise<GraphQLResponse> {
    const state: RequestState = { gql: request.context };
    const [body, init] = await handler({
      method: request.method,
      url: request.url,
      headers: request.headers,
      body: request.body,
      raw: null,
      context: state,
    });
    // A 200 from graphql-http without execution is a request error (parse, validation) sent as
    // application/json: the contract's callers expect a 4xx for those.
    const status = state.status ?? (init.status === 200 ? 400 : init.status);
    return { status, headers: { ...init.headers }, body };
  };
}

function forbidden(scope: string): HandlerResponse {
  const body = JSON.stringify({ errors: [{ message: `This operation needs the ${scope} scope`, extensions: { code: 'FORBIDDEN' } }] });
  return [body, { status: 403, statusText: 'Forbidden', headers: { 'content-type': 'application/json; charset=utf-8' } }];
}

// graphql-http's spec-compliant handler, with three seams used: onSubscribe (cached parse and
// validation, then the scope check), onOperation (the HTTP status the contract wants), and
// formatError (one place that shapes every error).
import { getOperationAST, OperationTypeNode, specifiedRules, type GraphQLError, type GraphQLSchema, type ValidationRule } from 'graphql';
import { createHandler, type OperationArgs, type Response as HandlerResponse } from 'graphql-http';
import type { Logger } from '../logger.js';
import { createDocumentCache } from './document-cache.js';
import { checkArguments } from './argument-guard.js';
import { createFormatError, statusForResult } from './errors.js';
import { operationLabel, outcomeForStatus, outcomeOf } from './operation-label.js';
import { errorResponse, readOnce, refuseBatch, rootFieldNames, withErrorBody } from './request-guards.js';

/** Per-request state shared by the HTTP layer, the handler hooks and the resolvers (a type, not an interface: graphql-http wants a record). */
export type GraphQLContext = {
  /** Audit name of the caller: a token's name, a JWT subject, or "local". */
  actor: string;
  scopes: ReadonlySet<string>;
  /**
   * Raised by a resolver whose field carries its own errors (bulk results) to say what the HTTP
   * status should be, e.g. 503 when removals were recorded but not confirmed; the handler
   * answers the higher of this and the status the result calls for.
   */
  responseStatus?: number;
};

export interface HandlerGuards {
  /** graphql's parser stops after this many tokens (400), before any validation runs. */
  maxTokens?: number;
  /** Cheap limit rules run before the others; when one fails, the rest never run. */
  gateRules?: readonly ValidationRule[];
  /** Takes one unit of the caller's mutation budget: 0 = go, else seconds until retry (429). */
  limitMutation?: (context: GraphQLContext) => number;
  /** A mutation refused for want of scope: the audit log records it. */
  onForbiddenMutation?: (context: GraphQLContext, fields: string[]) => void;
}

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
  /** For metrics and logs: the root field (bounded by the schema) and "ok" or an error code. */
  operation: string;
  outcome: string;
}

interface RequestState {
  gql: GraphQLContext;
  /** Set once the operation ran: the status its result calls for. */
  status?: number;
  operation?: string;
  outcome?: string;
}

export function createGraphQLHandler(options: { schema: GraphQLSchema; log: Logger; validationRules?: readonly ValidationRule[]; guards?: HandlerGuards }) {
  const { schema } = options;
  const guards = options.guards ?? {};
  const prepare = createDocumentCache(schema, [...specifiedRules, ...(options.validationRules ?? [])], 1000, { maxTokens: guards.maxTokens, gateRules: guards.gateRules });

  const handler = createHandler<null, RequestState, GraphQLContext>({
    schema,
    formatError: createFormatError(options.log),
    parseRequestParams: refuseBatch,
    onSubscribe(req, params): OperationArgs<GraphQLContext> | HandlerResponse | readonly GraphQLError[] {
      const prepared = prepare(params.query);
      if ('syntaxError' in prepared) return ((req.context.outcome = 'GRAPHQL_PARSE_FAILED'), [prepared.syntaxError]);
      const definition = getOperationAST(prepared.document, params.operationName);
      req.context.operation = operationLabel(definition);
      if (prepared.errors.length) return ((req.context.outcome = 'GRAPHQL_VALIDATION_FAILED'), prepared.errors);
      const operation = definition?.operation;
      const needed = operation === OperationTypeNode.MUTATION ? 'admin' : 'read';
      const scopes = req.context.gql.scopes;
      if (operation === OperationTypeNode.MUTATION && guards.limitMutation) {
        // Before the scope check: a caller hammering refused mutations also fills the audit log.
        const retryAfterS = guards.limitMutation(req.context.gql);
        if (retryAfterS > 0) return ((req.context.outcome = 'RATE_LIMITED'), tooManyRequests(retryAfterS));
      }
      if (!scopes.has('admin') && !scopes.has(needed)) {
        if (operation === OperationTypeNode.MUTATION) guards.onForbiddenMutation?.(req.context.gql, rootFieldNames(prepared.document, params.operationName ?? undefined));
        req.context.outcome = 'FORBIDDEN';
        return forbidden(needed);
      }
      const badArgument = checkArguments(prepared.document, params.operationName, params.variables);
      if (badArgument) return ((req.context.outcome = 'BAD_USER_INPUT'), [badArgument]);
      return {
        schema,
        document: prepared.document,
        operationName: params.operationName,
        variableValues: params.variables,
        contextValue: req.context.gql,
      };
    },
    onOperation(req, _args, result) {
      // A resolver may raise the status without an error (bulk results carry their own errors).
      req.context.status = Math.max(statusForResult(result), req.context.gql.responseStatus ?? 0);
      req.context.outcome = outcomeOf(result, req.context.status);
    },
  });

  return async function handleGraphQL(request: GraphQLRequest): Promise<GraphQLResponse> {
    const state: RequestState = { gql: request.context };
    const [body, init] = await handler({
      method: request.method,
      url: request.url,
      headers: request.headers,
      body: readOnce(request.body),
      raw: null,
      context: state,
    });
    // A 200 from graphql-http without execution is a request error (parse, validation) sent as
    // application/json: the contract's callers expect a 4xx for those.
    const status = state.status ?? (init.status === 200 ? 400 : init.status);
    return { status, ...withErrorBody(status, { ...init.headers }, body), operation: state.operation ?? 'unknown', outcome: state.outcome ?? outcomeForStatus(status) };
  };
}

function forbidden(scope: string): HandlerResponse {
  // RFC 6750 §3.1: say which scope would do.
  return errorResponse(403, 'FORBIDDEN', `This operation needs the ${scope} scope`, {
    'www-authenticate': `Bearer realm="wgnode", error="insufficient_scope", scope="${scope === 'read' ? 'read admin' : scope}"`,
  });
}

function tooManyRequests(retryAfterS: number): HandlerResponse {
  return errorResponse(429, 'RATE_LIMITED', `Too many mutations from this credential; retry in ${retryAfterS} s`, { 'retry-after': String(retryAfterS) });
}

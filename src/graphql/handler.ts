// graphql-http's spec-compliant handler, with three seams used: onSubscribe (cached parse and
// validation, then the scope check), onOperation (the HTTP status the contract wants), and
// formatError (one place that shapes every error).
import { getOperationAST, OperationTypeNode, specifiedRules, type GraphQLError, type GraphQLSchema, type ValidationRule } from 'graphql';
import { createHandler, type OperationArgs, type Response as HandlerResponse } from 'graphql-http';
import type { IdempotencyClaim, IdempotencyGuard } from '../idempotency/guard.js';
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
  /** Idempotency-Key on mutations: replays, 409/422/400 (src/idempotency). Queries ignore the header. */
  idempotency?: IdempotencyGuard;
}

export interface GraphQLRequest {
  method: string;
  url: string;
  /** Read by name (content-type, accept, idempotency-key): a Headers object, or anything with its get. */
  headers: Pick<Headers, 'get'>;
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
  /** The Idempotency-Key header as sent, if any. */
  idempotencyKey: string | null;
  /** Set when the mutation runs under an Idempotency-Key: settled with the answer. */
  claim?: IdempotencyClaim;
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
      if (operation === OperationTypeNode.MUTATION && req.method !== 'GET' && guards.idempotency && req.context.idempotencyKey !== null) {
        // Last, just before execution: only a mutation that will run holds its key.
        const decision = guards.idempotency.claim(req.context.idempotencyKey, {
          query: params.query,
          operationName: params.operationName,
          variables: params.variables,
          actor: req.context.gql.actor,
        });
        if ('respond' in decision) {
          const { status, headers, body, outcome } = decision.respond;
          req.context.status = status;
          req.context.outcome = outcome;
          return [body, { status, statusText: '', headers }];
        }
        req.context.claim = decision.proceed;
      }
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
    const state: RequestState = { gql: request.context, idempotencyKey: request.headers.get('idempotency-key') };
    // Whether the operation executed: only then is its answer the one to replay.
    let executed = false;
    let response: GraphQLResponse | null = null;
    try {
      const [body, init] = await handler({
        method: request.method,
        url: request.url,
        headers: request.headers,
        body: readOnce(request.body),
        raw: null,
        context: state,
      });
      executed = state.status !== undefined; // set by onOperation once a claimed mutation ran
      // A 200 from graphql-http without execution is a request error (parse, validation) sent as
      // application/json: the contract's callers expect a 4xx for those.
      const status = state.status ?? (init.status === 200 ? 400 : init.status);
      response = { status, ...withErrorBody(status, { ...init.headers }, body), operation: state.operation ?? 'unknown', outcome: state.outcome ?? outcomeForStatus(status) };
      return response;
    } finally {
      // Also when the handler threw: the key must not stay 'running'.
      state.claim?.settle(response ? { ...response, executed } : { status: 500, headers: {}, body: null, executed: false });
    }
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

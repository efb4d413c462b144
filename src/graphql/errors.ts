// Every error a caller sees passes formatError: domain errors keep the contract's exact shape
// ({message, path, extensions.code}); anything unexpected becomes a generic message (the
// details go to the log, never to the caller).
import { GraphQLError } from 'graphql';
import type { Logger } from '../logger.js';
import { DomainError } from '../sessions/index.js';
import { hideSuggestions } from './limits.js';

/** graphql-js's messages for a variable value that failed coercion (execution, not validation). */
const VARIABLE_VALUE_ERROR = /^Variable "\$[^"]+" (got invalid value|of non-null type .+ must not be null|of required type .+ was not provided)/;

export function createFormatError(log: Logger) {
  return function formatError(error: Readonly<GraphQLError | Error>): GraphQLError | Error {
    if (!(error instanceof GraphQLError)) {
      // graphql-http's own request errors ("Missing query", "Unparsable JSON body"): safe to show.
      return new GraphQLError(error.message, { extensions: { code: 'BAD_REQUEST' } });
    }
    const original = error.originalError;
    if (original instanceof DomainError) {
      return new GraphQLError(original.message, { path: error.path, extensions: { code: original.code } });
    }
    if (original && !(original instanceof GraphQLError)) {
      log.error({ err: original, path: error.path }, 'resolver failed');
      return new GraphQLError('Internal server error', { path: error.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    }
    if (error.extensions?.code) return error;
    const code = error.message.startsWith('Syntax Error')
      ? 'GRAPHQL_PARSE_FAILED'
      : VARIABLE_VALUE_ERROR.test(error.message)
        ? 'BAD_USER_INPUT' // a well-formed query with a bad value: the caller's input, not its query
        : 'GRAPHQL_VALIDATION_FAILED';
    // graphql-js gives up on a query whose overlapping fields are too costly to compare.
    const message = error.message === 'Validation aborted.' ? 'Validation aborted: the query repeats too many fields' : hideSuggestions(error.message);
    return new GraphQLError(message, {
      nodes: error.nodes,
      source: error.source,
      positions: error.positions,
      path: error.path,
      extensions: { ...error.extensions, code },
    });
  };
}

/**
 * The HTTP status for an executed operation. The contract answers domain errors with 400 (not
 * GraphQL-over-HTTP's 200); a recorded-but-unconfirmed change is 503; a result without data
 * (e.g. a variable that failed coercion) is the caller's error, 400.
 */
export function statusForResult(result: { data?: unknown; errors?: readonly GraphQLError[] }): number {
  if (!result.errors?.length) return 200;
  if (result.data === undefined) return 400;
  let status = 0;
  for (const error of result.errors) {
    const original = error.originalError;
    const next = original instanceof DomainError ? original.status : 500;
    status = Math.max(status, next);
  }
  return status;
}

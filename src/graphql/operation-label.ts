// What a request was and how it ended, as bounded labels for metrics and logs. The operation is
// the root field's name (schema-defined, so a caller cannot grow the label set with made-up
// operation names); the outcome is "ok" or the first error's extensions.code.
import { GraphQLError, Kind, type ExecutionResult, type OperationDefinitionNode } from 'graphql';
import { DomainError } from '../sessions/index.js';

export function operationLabel(operation: OperationDefinitionNode | null | undefined): string {
  if (!operation) return 'unknown';
  const selections = operation.selectionSet.selections;
  const first = selections[0];
  if (selections.length !== 1 || first?.kind !== Kind.FIELD) return selections.length > 1 ? 'multiple' : 'unknown';
  return first.name.value;
}

export function outcomeOf(result: Pick<ExecutionResult, 'errors'>, status: number): string {
  const error = result.errors?.[0];
  if (!error) return status < 400 ? 'ok' : outcomeForStatus(status);
  return errorCode(error);
}

function errorCode(error: GraphQLError): string {
  const original = error.originalError;
  if (original instanceof DomainError) return original.code;
  if (original && !(original instanceof GraphQLError)) return 'INTERNAL_SERVER_ERROR';
  const code = error.extensions?.code;
  return typeof code === 'string' ? code : 'GRAPHQL_VALIDATION_FAILED';
}

/** For responses that carry no GraphQL error to read a code from (auth, routing, limits). */
export function outcomeForStatus(status: number): string {
  switch (status) {
    case 400: return 'BAD_REQUEST';
    case 401: return 'UNAUTHENTICATED';
    case 403: return 'FORBIDDEN';
    case 404: return 'NOT_FOUND';
    case 405: return 'METHOD_NOT_ALLOWED';
    case 406: return 'NOT_ACCEPTABLE';
    case 413: return 'PAYLOAD_TOO_LARGE';
    case 415: return 'UNSUPPORTED_MEDIA_TYPE';
    case 429: return 'RATE_LIMITED';
    case 500: return 'INTERNAL_SERVER_ERROR';
    case 503: return 'UNAVAILABLE';
    default: return status < 400 ? 'ok' : `HTTP_${status}`;
  }
}

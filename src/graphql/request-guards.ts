// Small pieces around graphql-http's handler: refuse batches with a clear message, give every
// refusal a GraphQL-shaped body with a code (graphql-http answers 406/415 with no body), and name
// what a refused mutation asked for, for the audit log.
import { Kind, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import type { Request as HandlerRequest, Response as HandlerResponse } from 'graphql-http';

const JSON_TYPE = 'application/json; charset=utf-8';

const STATUS_TEXT: Record<number, string> = {
  403: 'Forbidden',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
};

export function errorResponse(status: number, code: string, message: string, headers: Record<string, string> = {}): HandlerResponse {
  const body = JSON.stringify({ errors: [{ message, extensions: { code } }] });
  return [body, { status, statusText: STATUS_TEXT[status] ?? '', headers: { 'content-type': JSON_TYPE, ...headers } }];
}

/** The body is read once, whoever asks first (the batch check, then graphql-http). */
export function readOnce(read: () => Promise<string>): () => Promise<string> {
  let body: Promise<string> | null = null;
  return () => (body ??= read());
}

/** graphql-http's parseRequestParams hook: a JSON array body is a batch, which this server does not run. */
export async function refuseBatch(req: HandlerRequest<unknown, unknown>): Promise<undefined> {
  const type = (req.headers as unknown as Headers).get?.('content-type') ?? '';
  if (req.method !== 'POST' || !/^\s*application\/json/i.test(type) || typeof req.body !== 'function') return undefined;
  const body = await req.body();
  if (typeof body === 'string' && /^\s*\[/.test(body)) {
    throw new Error('Batched requests (a JSON array body) are not supported: send one operation per request');
  }
  return undefined;
}

const CODES: Record<number, [code: string, message: string]> = {
  405: ['METHOD_NOT_ALLOWED', 'Mutations must be sent with POST'],
  406: ['NOT_ACCEPTABLE', 'Accept application/graphql-response+json or application/json'],
  415: ['UNSUPPORTED_MEDIA_TYPE', 'Send the request as Content-Type: application/json'],
};

/** graphql-http's own refusals (405, 406, 415) come without a code or without a body: add them. */
export function withErrorBody(status: number, headers: Record<string, string>, body: string | null): { headers: Record<string, string>; body: string | null } {
  const known = CODES[status];
  if (!known) return { headers, body };
  const [code, message] = known;
  const response = errorResponse(status, code, message, headers);
  return { headers: response[1].headers as Record<string, string>, body: response[0] };
}

/** Top-level field names of the operation (aliases resolved), e.g. "deactivateDevice". */
export function rootFieldNames(document: DocumentNode, operationName: string | undefined): string[] {
  const operation = document.definitions.find(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION && (operationName == null || d.name?.value === operationName),
  );
  const names = new Set<string>();
  for (const selection of operation?.selectionSet.selections ?? []) {
    if (selection.kind === Kind.FIELD) names.add(selection.name.value);
    else if (selection.kind === Kind.INLINE_FRAGMENT) for (const s of selection.selectionSet.selections) if (s.kind === Kind.FIELD) names.add(s.name.value);
  }
  return [...names];
}

// What an Idempotency-Key is (draft-ietf-httpapi-idempotency-key-header) and what makes two
// requests "the same": pure functions, no I/O.
import { createHash } from 'node:crypto';

const MAX_KEY_LENGTH = 255;

/**
 * The key as sent: a bare token or an RFC 8941 sf-string ("..."), which the draft uses; both name
 * the same key. null when it is not 1–255 printable ASCII characters.
 */
export function parseIdempotencyKey(header: string): string | null {
  const quoted = /^"((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*)"$/.exec(header);
  const key = quoted ? quoted[1]!.replace(/\\(["\\])/g, '$1') : header;
  return key.length >= 1 && key.length <= MAX_KEY_LENGTH && /^[\x20-\x7e]+$/.test(key) ? key : null;
}

export interface OperationPayload {
  /** The document text as sent. */
  query: string;
  operationName?: string | null;
  variables?: unknown;
  /** Who sent it: the same key from another credential is another key altogether. */
  actor: string;
}

/** sha256 over the document, the operation name, the variables (canonical JSON) and the actor. */
export function fingerprint(payload: OperationPayload): string {
  const parts = [payload.query, payload.operationName ?? '', canonicalJson(payload.variables ?? null), payload.actor];
  // JSON of the list: no separator can be forged by a part's content.
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/**
 * JSON with object keys sorted at every depth, so {"a":1,"b":2} and {"b":2,"a":1} match. The input
 * comes from JSON.parse (a request body), so it holds only plain objects, arrays and primitives.
 */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

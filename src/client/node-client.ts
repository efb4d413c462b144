// A typed client for one wgnode. Every call answers a CallResult, never throws for what a node
// says: ok with the data, a domain error (the node's final answer, e.g. SESSION_NOT_FOUND), or
// unreachable (no final answer after the retries). Mutations carry one Idempotency-Key per
// logical call, the same on every retry, so a retry after a lost answer cannot act twice.
import { randomUUID } from 'node:crypto';
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
import * as ops from './generated/operations.js';
import { backoffDelay, DEFAULT_RETRY, isRetryableStatus, parseRetryAfter, type RetryOptions } from './retry.js';
import { createHttpTransport, NetworkError, type HttpAnswer, type TlsOptions, type Transport } from './transport.js';

/** A bearer token, or a function that returns a fresh one for each attempt (e.g. a short-lived JWT). */
export type TokenSource = string | (() => string | Promise<string>);

export interface NodeClientOptions {
  /** The node's base URL (https://node-1:8080) or its GraphQL endpoint (…/graphql). */
  url: string;
  token?: TokenSource;
  tls?: TlsOptions;
  /** Deadline of one attempt in ms (default 10000). */
  timeoutMs?: number;
  retry?: Partial<RetryOptions>;
  /** Test seam: replaces the HTTP transport. */
  transport?: Transport;
}

export interface CallOptions {
  /** Overrides the generated key for a mutation (e.g. to resume a logical call across processes). */
  idempotencyKey?: string;
  timeoutMs?: number;
  retry?: Partial<RetryOptions>;
  /** Stops waiting and retrying; the call answers unreachable with code ABORTED. */
  signal?: AbortSignal;
}

/** The codes wgnode answers; a string beyond these is passed through (future or proxy codes). */
export type DomainErrorCode =
  | 'NOT_FOUND'
  | 'SESSION_NOT_FOUND'
  | 'DEVICE_NOT_FOUND'
  | 'USER_NOT_FOUND'
  | 'DEVICE_DEACTIVATED'
  | 'DEVICE_LIMIT_REACHED'
  | 'PUBLIC_KEY_IN_USE'
  | 'INVALID_PUBLIC_KEY'
  | 'ADDRESS_POOL_EXHAUSTED'
  | 'BAD_USER_INPUT'
  | 'REMOVAL_PENDING'
  | 'PEER_ADD_FAILED'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'RESYNC_REQUIRED'
  | (string & {});

export interface GraphQLErrorBody {
  message: string;
  path?: ReadonlyArray<string | number>;
  extensions?: { code?: string; [key: string]: unknown };
}

export type CallResult<T> =
  | { ok: true; data: T; /** The node answered from its idempotency store (Idempotent-Replayed: true). */ replayed: boolean; attempts: number }
  | { ok: false; kind: 'domain'; code: DomainErrorCode; message: string; status: number; errors: GraphQLErrorBody[]; attempts: number }
  | {
      ok: false;
      kind: 'unreachable';
      /** NetworkError code, or the last answer's code (e.g. REMOVAL_PENDING). */
      code: string;
      message: string;
      status: number | null;
      attempts: number;
      /** The last answer's data, when it had some: a bulk call's per-item results after a 503. */
      data?: T | null;
    };

type Doc<R, V> = DocumentTypeDecoration<R, V> & { toString(): string };
type Vars<V> = V extends Record<string, never> ? void | V : V;

export function createNodeClient(options: NodeClientOptions) {
  const transport = options.transport ?? createHttpTransport(graphqlEndpoint(options.url), options.tls);
  const defaults = { timeoutMs: options.timeoutMs ?? 10_000, retry: { ...DEFAULT_RETRY, ...options.retry } };

  /** Runs any typed document (generated in ./generated/operations.js) with retries. */
  async function request<R, V>(document: Doc<R, V>, variables: Vars<V>, call: CallOptions = {}): Promise<CallResult<R>> {
    const query = document.toString();
    const body = JSON.stringify({ query, variables: variables ?? {} });
    const retry = { ...defaults.retry, ...call.retry };
    const timeoutMs = call.timeoutMs ?? defaults.timeoutMs;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (/^\s*mutation\b/.test(query)) headers['idempotency-key'] = call.idempotencyKey ?? randomUUID();

    let last: Extract<CallResult<R>, { kind: 'unreachable' }> = { ok: false, kind: 'unreachable', code: 'ABORTED', message: 'aborted before the first attempt', status: null, attempts: 0 };
    for (let attempt = 0; attempt <= retry.retries; attempt++) {
      if (call.signal?.aborted) return { ...last, code: 'ABORTED', message: 'aborted' };
      let outcome: CallResult<R>;
      let waitMs: number | null = null;
      try {
        const answer = await transport.post(body, { ...headers, ...(await authorization(options.token)) }, timeoutMs, call.signal);
        outcome = interpret<R>(answer, attempt + 1);
        waitMs = parseRetryAfter(answer.headers['retry-after']);
      } catch (error) {
        if (!(error instanceof NetworkError)) throw error;
        if (error.code === 'ABORTED') return { ...last, code: 'ABORTED', message: 'aborted', attempts: attempt + 1 };
        outcome = { ok: false, kind: 'unreachable', code: error.code, message: error.message, status: null, attempts: attempt + 1 };
      }
      if (outcome.ok || outcome.kind === 'domain') return outcome;
      last = outcome;
      if (attempt === retry.retries) break;
      const delay = waitMs === null ? backoffDelay(retry, attempt) : Math.min(waitMs, retry.maxDelayMs);
      if (!(await sleep(delay, call.signal))) return { ...last, code: 'ABORTED', message: 'aborted' };
    }
    return last;
  }

  /** A call whose data is one top-level field: answers that field. */
  async function field<R, V, K extends keyof R>(document: Doc<R, V>, key: K, variables: Vars<V>, call?: CallOptions): Promise<CallResult<R[K]>> {
    const result = await request(document, variables, call);
    if (result.ok) return { ...result, data: result.data[key] };
    if (result.kind === 'unreachable' && result.data) return { ...result, data: result.data[key] };
    // A domain error carries no data, and an unreachable one here carries none either.
    return result as Exclude<CallResult<R[K]>, { ok: true }>;
  }

  return {
    url: options.url,
    request,
    activateDevice: (v: ops.ActivateDeviceMutationVariables, c?: CallOptions) => field(ops.ActivateDeviceDocument, 'activateDevice', v, c),
    connectDevice: (v: ops.ConnectDeviceMutationVariables, c?: CallOptions) => field(ops.ConnectDeviceDocument, 'connectDevice', v, c),
    /** disconnectByUserIdAndDeviceId */
    disconnectDevice: (v: ops.DisconnectDeviceMutationVariables, c?: CallOptions) => field(ops.DisconnectDeviceDocument, 'disconnectByUserIdAndDeviceId', v, c),
    /** disconnectBySessionId */
    disconnectSession: (v: ops.DisconnectSessionMutationVariables, c?: CallOptions) => field(ops.DisconnectSessionDocument, 'disconnectBySessionId', v, c),
    deactivateDevice: (v: ops.DeactivateDeviceMutationVariables, c?: CallOptions) => field(ops.DeactivateDeviceDocument, 'deactivateDevice', v, c),
    disconnectDevices: (v: ops.DisconnectDevicesMutationVariables, c?: CallOptions) => field(ops.DisconnectDevicesDocument, 'disconnectDevices', v, c),
    deactivateDevices: (v: ops.DeactivateDevicesMutationVariables, c?: CallOptions) => field(ops.DeactivateDevicesDocument, 'deactivateDevices', v, c),
    /** Desired state: the devices that must be ACTIVE or DEACTIVATED on this node. */
    syncDevices: (v: ops.SyncDevicesMutationVariables, c?: CallOptions) => field(ops.SyncDevicesDocument, 'syncDevices', v, c),
    session: (v: ops.SessionQueryVariables, c?: CallOptions) => field(ops.SessionDocument, 'session', v, c),
    sessions: (v: ops.SessionsQueryVariables = {}, c?: CallOptions) => field(ops.SessionsDocument, 'sessions', v, c),
    device: (v: ops.DeviceQueryVariables, c?: CallOptions) => field(ops.DeviceDocument, 'device', v, c),
    devices: (v: ops.DevicesQueryVariables, c?: CallOptions) => field(ops.DevicesDocument, 'devices', v, c),
    node: (c?: CallOptions) => field(ops.NodeDocument, 'node', {}, c),
    reconcileReport: (c?: CallOptions) => field(ops.ReconcileReportDocument, 'reconcileReport', {}, c),
    /** One page of the change feed after `after`. */
    changes: (v: ops.ChangesQueryVariables = {}, c?: CallOptions) => field(ops.ChangesDocument, 'changes', v, c),
    /** One page of the node's state and the change cursor it is consistent with: follow changes from there. */
    snapshot: (v: ops.SnapshotQueryVariables = {}, c?: CallOptions) => field(ops.SnapshotDocument, 'snapshot', v, c),
    /** Closes kept-alive connections. */
    close: () => transport.close(),
  };
}

export type NodeClient = ReturnType<typeof createNodeClient>;

/** An HTTP answer → ok, a final domain error, or a retryable "not now". */
function interpret<R>(answer: HttpAnswer, attempts: number): CallResult<R> {
  type Payload = { data?: R | null; errors?: GraphQLErrorBody[] };
  let payload: Payload | null = null;
  try {
    payload = JSON.parse(answer.body) as Payload;
  } catch {
    // Not wgnode's JSON (a proxy's error page): the status alone decides.
  }
  const errors = Array.isArray(payload?.errors) ? payload.errors : [];
  const first = errors[0];
  const code = first?.extensions?.code ?? `HTTP_${answer.status}`;
  const message = first?.message ?? `HTTP ${answer.status}`;
  if (answer.status === 200 && payload?.data && errors.length === 0) {
    return { ok: true, data: payload.data, replayed: header(answer, 'idempotent-replayed') === 'true', attempts };
  }
  if (isRetryableStatus(answer.status)) return { ok: false, kind: 'unreachable', code, message, status: answer.status, attempts, data: payload?.data ?? null };
  return { ok: false, kind: 'domain', code, message, status: answer.status, errors, attempts };
}

function header(answer: HttpAnswer, name: string): string | undefined {
  const value = answer.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function authorization(token: TokenSource | undefined): Promise<Record<string, string>> {
  if (token === undefined) return {};
  const value = typeof token === 'function' ? await token() : token;
  return { authorization: `Bearer ${value}` };
}

function graphqlEndpoint(url: string): string {
  const parsed = new URL(url);
  if (parsed.pathname === '/' || parsed.pathname === '') parsed.pathname = '/graphql';
  return parsed.toString();
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

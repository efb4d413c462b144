// Idempotency-Key on mutations (draft-ietf-httpapi-idempotency-key-header): the first answer to a
// key is stored in the registry and replayed to every repeat. A key belongs to one principal; it
// is 'running' in the registry before its mutation executes, so a concurrent repeat gets 409.
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger.js';
import type { IdempotencyRecord, Registry } from '../registry/index.js';
import { fingerprint, parseIdempotencyKey, type OperationPayload } from './keys.js';

export interface IdempotencyResponse {
  status: number;
  headers: Record<string, string>;
  body: string | null;
  /** For metrics and logs. */
  outcome: string;
}

export interface IdempotencyClaim {
  /** The request's answer: stored for replay when it may be (see storable), else the attempt is forgotten. */
  settle(answer: { status: number; headers: Record<string, string>; body: string | null; executed: boolean }): void;
}

/** Either run the mutation (and settle the claim with its answer) or answer now. */
export type IdempotencyDecision = { proceed: IdempotencyClaim } | { respond: IdempotencyResponse };

export interface IdempotencyGuard {
  /** `header` is the Idempotency-Key as sent; call only for mutations. */
  claim(header: string, payload: OperationPayload): IdempotencyDecision;
}

const REPLAYED_HEADER = 'idempotent-replayed';
const PRUNE_BATCH = 500;

export interface IdempotencyOptions {
  registry: Pick<Registry, 'idempotency' | 'transaction'>;
  /** A key is forgotten this long after its first request (WGNODE_IDEMPOTENCY_TTL_S). */
  ttlS: number;
  log: Logger;
  now?: () => number;
}

export function createIdempotencyGuard(options: IdempotencyOptions) {
  const { registry, log } = options;
  const store = registry.idempotency;
  const now = options.now ?? Date.now;
  const ttlMs = options.ttlS * 1000;
  // This process's name on its running rows: a running row of another owner was left by a crash
  // (one wgnode serves a registry), so a repeat runs the mutation again, which is safe because
  // every mutation is idempotent by its own rules.
  const owner = randomUUID();
  // Keys this process is running now; a running row of ours not in here lost its settlement.
  const inFlight = new Set<string>();

  function decide(principal: string, key: string, print: string, row: IdempotencyRecord | undefined, at: number): IdempotencyResponse | null {
    if (!row || row.createdAt <= at - ttlMs) return null;
    if (row.fingerprint !== print) {
      return refusal(422, 'IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used for a different request; send a new key with a new request');
    }
    if (row.state === 'done') return replay(row);
    if (row.owner === owner && inFlight.has(slot(principal, key))) {
      return refusal(409, 'IDEMPOTENCY_KEY_IN_USE', 'A request with this Idempotency-Key is still running; repeat it once that one has answered');
    }
    return null; // abandoned: run it again
  }

  function claim(header: string, payload: OperationPayload): IdempotencyDecision {
    const key = parseIdempotencyKey(header);
    if (key === null) {
      return { respond: refusal(400, 'IDEMPOTENCY_KEY_INVALID', 'Idempotency-Key must be 1 to 255 printable ASCII characters') };
    }
    const principal = payload.actor;
    const print = fingerprint(payload);
    let answer: IdempotencyResponse | null;
    try {
      answer = registry.transaction(() => {
        const at = now();
        const decided = decide(principal, key, print, store.get(principal, key), at);
        if (!decided) store.begin({ principal, key, fingerprint: print, owner, now: at });
        return decided;
      });
    } catch (error) {
      if (!isBusy(error)) throw error;
      return { respond: refusal(503, 'REGISTRY_BUSY', 'The node registry is busy; retry the request') };
    }
    if (answer) return { respond: answer };
    inFlight.add(slot(principal, key));
    return {
      proceed: {
        settle(result) {
          inFlight.delete(slot(principal, key));
          try {
            registry.transaction(() => {
              if (result.executed && storable(result.status)) {
                store.finish(principal, key, owner, { status: result.status, contentType: result.headers['content-type'] ?? null, body: result.body });
              } else {
                store.release(principal, key, owner);
              }
            });
          } catch (error) {
            // The answer still goes out; a repeat runs again (the row is ours but no longer in flight).
            log.error({ err: error }, 'could not store the answer to an Idempotency-Key');
          }
        },
      },
    };
  }

  /** Deletes expired keys in small batches, yielding between them so requests are never held up. */
  async function pruneExpired(): Promise<number> {
    let total = 0;
    for (;;) {
      const deleted = registry.transaction(() => store.pruneUpTo(now() - ttlMs, PRUNE_BATCH));
      total += deleted;
      if (deleted < PRUNE_BATCH) return total;
      await yieldToLoop();
    }
  }

  return { claim, pruneExpired };
}

export type IdempotencyKeys = ReturnType<typeof createIdempotencyGuard>;

/**
 * Stored and replayed: an executed mutation's 200 and its 4xx domain answers. Not stored: 5xx
 * (503 REMOVAL_PENDING, REGISTRY_BUSY) and 429: the caller repeats with the same key and must get
 * a fresh attempt, which is safe because a retried revocation finishes the unconfirmed removal.
 */
function storable(status: number): boolean {
  return status < 500 && status !== 429;
}

/** Prunes on a timer until stopped; stop() waits for a pass under way (the registry closes next). */
export function startIdempotencyPruning(keys: Pick<IdempotencyKeys, 'pruneExpired'>, options: { intervalMs: number; log: Logger }) {
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = keys.pruneExpired().catch((error: unknown) => options.log.warn({ err: error }, 'pruning expired idempotency keys failed; retrying next interval'));
  }, options.intervalMs);
  timer.unref();
  return {
    async stop(): Promise<void> {
      clearInterval(timer);
      await running;
    },
  };
}

function replay(row: IdempotencyRecord): IdempotencyResponse {
  const headers: Record<string, string> = { [REPLAYED_HEADER]: 'true' };
  if (row.contentType) headers['content-type'] = row.contentType;
  return { status: row.status!, headers, body: row.body, outcome: 'IDEMPOTENT_REPLAY' };
}

function refusal(status: number, code: string, message: string): IdempotencyResponse {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify({ errors: [{ message, extensions: { code } }] }),
    outcome: code,
  };
}

function slot(principal: string, key: string): string {
  return JSON.stringify([principal, key]);
}

function isBusy(error: unknown): boolean {
  return (error as { code?: string } | null)?.code?.startsWith('SQLITE_BUSY') ?? false;
}

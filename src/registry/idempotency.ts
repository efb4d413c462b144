// idempotency_keys: the first answer to a mutation sent with an Idempotency-Key, per principal.
// A row is 'running' from before the mutation executes until its answer is stored ('done') or
// released (an answer that must not be replayed); expired rows are pruned in small batches.
import type { Db } from './database.js';

export interface IdempotencyRecord {
  fingerprint: string;
  state: 'running' | 'done';
  owner: string;
  status: number | null;
  contentType: string | null;
  body: string | null;
  createdAt: number;
}

export interface StoredAnswer {
  status: number;
  contentType: string | null;
  body: string | null;
}

export function createIdempotencyStore(db: Db) {
  const get = db.prepare<[string, string], IdempotencyRecord>(
    `SELECT fingerprint, state, owner, status, content_type AS contentType, body, created_at AS createdAt
     FROM idempotency_keys WHERE principal = ? AND key = ?`,
  );
  // REPLACE: an expired row, or a running row its process abandoned, gives way to the new attempt.
  const begin = db.prepare<{ principal: string; key: string; fingerprint: string; owner: string; now: number }>(
    `INSERT OR REPLACE INTO idempotency_keys (principal, key, fingerprint, state, owner, created_at)
     VALUES (@principal, @key, @fingerprint, 'running', @owner, @now)`,
  );
  const finish = db.prepare<{ principal: string; key: string; owner: string; status: number; contentType: string | null; body: string | null }>(
    `UPDATE idempotency_keys SET state = 'done', status = @status, content_type = @contentType, body = @body
     WHERE principal = @principal AND key = @key AND owner = @owner AND state = 'running'`,
  );
  const release = db.prepare<[string, string, string]>(
    `DELETE FROM idempotency_keys WHERE principal = ? AND key = ? AND owner = ? AND state = 'running'`,
  );
  const prune = db.prepare<[number, number]>(
    `DELETE FROM idempotency_keys WHERE rowid IN
       (SELECT rowid FROM idempotency_keys WHERE created_at <= ? ORDER BY created_at LIMIT ?)`,
  );

  return {
    get: (principal: string, key: string): IdempotencyRecord | undefined => get.get(principal, key),
    /** Writes the 'running' row of a new attempt (replacing a row that may give way). */
    begin: (row: { principal: string; key: string; fingerprint: string; owner: string; now: number }): void => void begin.run(row),
    /** Stores the answer to replay; only the owner's running row is touched. */
    finish: (principal: string, key: string, owner: string, answer: StoredAnswer): void =>
      void finish.run({ principal, key, owner, ...answer }),
    /** Forgets an attempt whose answer must not be replayed (a 503, a 429): the next repeat runs afresh. */
    release: (principal: string, key: string, owner: string): void => void release.run(principal, key, owner),
    /** Deletes at most `limit` rows created at or before `cutoff`; returns how many went. */
    pruneUpTo: (cutoff: number, limit: number): number => prune.run(cutoff, limit).changes,
  };
}

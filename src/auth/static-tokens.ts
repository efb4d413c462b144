// Static bearer tokens. Tokens are compared as SHA-256 digests with timingSafeEqual: equal
// lengths, constant time, so response timing says nothing about how much of a guess matched.
import { hash, timingSafeEqual } from 'node:crypto';
import type { Authenticator, Principal } from './principal.js';

export interface StaticToken {
  name: string;
  /** SHA-256 of the token, hex. */
  sha256: string;
  scopes: readonly string[];
}

export function hashToken(token: string): string {
  return hash('sha256', token, 'hex');
}

export function createStaticTokenAuthenticator(tokens: readonly StaticToken[]): Authenticator {
  const entries = tokens.map((t) => ({
    digest: Buffer.from(t.sha256, 'hex'),
    principal: { name: t.name, scopes: new Set(t.scopes) } satisfies Principal,
  }));
  return (token) => {
    // One-shot hash (Node >= 20.12): a Hash object per request cost more than the digest.
    const digest = hash('sha256', token, 'buffer');
    let found: Principal | null = null;
    // Check every entry (no early exit), so timing does not reveal which entry matched.
    for (const entry of entries) if (timingSafeEqual(digest, entry.digest)) found = entry.principal;
    return found;
  };
}

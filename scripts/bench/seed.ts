// Seeding for the benchmark: the registry does the SQL (src/registry/bulk-seed.ts).
import { randomBytes } from 'node:crypto';

export { seedRegistry } from '../../src/registry/bulk-seed.js';

/** A valid WireGuard public key (32 random bytes: wg accepts any; these peers never handshake). */
export function randomKey(): string {
  return randomBytes(32).toString('base64');
}

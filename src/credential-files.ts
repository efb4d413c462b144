// Start-up checks on files that hold or guard credentials. A secret that other users can read
// is already leaked; a key or token list that other users can write lets them mint their own
// access. Either is refused at start-up with the variable named (docs/security.md).
import { statSync } from 'node:fs';

/**
 * - `secret` (a token, a private key, the tokens file): only its owner may read or write it (0600, 0400).
 * - `public` (a verification key): anyone may read it, only its owner may write it (0644 is fine).
 */
export type CredentialKind = 'secret' | 'public';

/** Why the file is refused, or null when it is fine. Follows symlinks (the target is what gets read). */
export function credentialFileProblem(path: string, kind: CredentialKind): string | null {
  let stats;
  try {
    stats = statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'does not exist' : `cannot read it (${code ?? 'error'})`;
  }
  if (!stats.isFile()) return 'is not a regular file';
  const mode = stats.mode & 0o777;
  const octal = mode.toString(8).padStart(4, '0');
  if (kind === 'secret' && (mode & 0o077) !== 0) return `is open to group or others (mode ${octal}); chmod 600 it`;
  if (kind === 'public' && (mode & 0o022) !== 0) return `is writable by group or others (mode ${octal}); chmod 644 it`;
  return null;
}

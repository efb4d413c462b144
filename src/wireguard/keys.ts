// A WireGuard public key is 32 bytes in standard base64: 43 significant characters and one '='.
// The 43rd character carries only 4 bits, so its two low bits must be zero: that is what the
// character class checks, and why a regex is enough to reject every non-canonical spelling.
const PUBLIC_KEY = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

export function isPublicKey(value: unknown): value is string {
  return typeof value === 'string' && PUBLIC_KEY.test(value);
}

class InvalidPublicKeyError extends Error {
  override name = 'InvalidPublicKeyError';
  constructor() {
    super('publicKey must be a WireGuard public key: 32 bytes in base64 (44 characters ending in "=")');
  }
}

/** Throws before any command can be built from a value that is not a key. */
export function assertPublicKey(value: unknown): asserts value is string {
  if (!isPublicKey(value)) throw new InvalidPublicKeyError();
}

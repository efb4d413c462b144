// Deterministic, valid WireGuard public keys for tests (32 bytes, base64).
export function testKey(n: number): string {
  const bytes = Buffer.alloc(32);
  bytes.writeUInt32BE(n, 0);
  bytes.write('wgnode-test', 8);
  return bytes.toString('base64');
}

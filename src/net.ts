// IPv4 addresses as unsigned 32-bit integers: cheap to compare, index and allocate.
import { isIPv4, isIPv6 } from 'node:net';

export interface Cidr {
  text: string;
  network: number;
  prefix: number;
  /** First and last addresses a host may hold (network and broadcast excluded). */
  first: number;
  last: number;
}

function parseIpv4(text: string): number {
  const parts = text.split('.');
  if (parts.length !== 4) throw new Error(`${text} is not an IPv4 address`);
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) throw new Error(`${text} is not an IPv4 address`);
    value = value * 256 + Number(part);
  }
  return value;
}

export function formatIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

export function parseCidr(text: string): Cidr {
  const [ip, bits, ...rest] = text.split('/');
  if (ip === undefined || bits === undefined || rest.length > 0 || !/^\d{1,2}$/.test(bits)) {
    throw new Error(`${text} is not an IPv4 CIDR such as 10.64.0.0/16`);
  }
  const prefix = Number(bits);
  if (prefix > 32) throw new Error(`${text}: prefix must be 0-32`);
  const size = 2 ** (32 - prefix);
  const network = parseIpv4(ip) - (parseIpv4(ip) % size);
  const single = prefix >= 31;
  return {
    text: `${formatIpv4(network)}/${prefix}`,
    network,
    prefix,
    first: single ? network : network + 1,
    last: single ? network + size - 1 : network + size - 2,
  };
}

// IPv6 (the dual-stack pool): 128-bit values as BigInt. node:net validates the text, and the
// WHATWG URL parser (built into Node) spells an address the canonical way (RFC 5952: lower case,
// longest zero run compressed), which is also how `wg show` prints it: no library needed.

export interface Cidr6 {
  text: string;
  network: bigint;
  prefix: number;
}

export function parseIpv6(text: string): bigint {
  if (!isIPv6(text) || text.includes('.') || text.includes('%')) throw new Error(`${text} is not an IPv6 address`);
  const [head = '', tail] = text.split('::');
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const all = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return all.reduce((value, group) => (value << 16n) | BigInt(`0x${group}`), 0n);
}

export function formatIpv6(value: bigint): string {
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((value >> BigInt(i * 16)) & 0xffffn).toString(16));
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}

/** An IPv6 prefix for the pool: host bits must be zero, and it must leave room for hosts (at most /126). */
export function parseCidr6(text: string): Cidr6 {
  const [ip, bits, ...rest] = text.split('/');
  if (ip === undefined || bits === undefined || rest.length > 0 || !/^\d{1,3}$/.test(bits)) {
    throw new Error(`${text} is not an IPv6 prefix such as fd00:64::/112`);
  }
  const prefix = Number(bits);
  if (prefix > 126) throw new Error(`${text}: the prefix length must be at most 126`);
  const network = parseIpv6(ip);
  const hostBits = (1n << BigInt(128 - prefix)) - 1n;
  if ((network & hostBits) !== 0n) throw new Error(`${text}: the host bits must be zero (did you mean ${formatIpv6(network & ~hostBits)}/${prefix}?)`);
  return { text: `${formatIpv6(network)}/${prefix}`, network, prefix };
}

/**
 * The IPv6 address that goes with an IPv4 address of the pool: the same offset into the v6
 * prefix (10.64.0.2 in 10.64.0.0/16 → fd00:64::2 in fd00:64::/112). Unique whenever the IPv4
 * address is, so dual-stack needs no second allocator (config checks the v6 prefix is big enough).
 */
export function ipv6Beside(pool: Cidr, pool6: Cidr6, address: number): string {
  return formatIpv6(pool6.network + BigInt(address - pool.network));
}

/** What the node routes to a peer: its /32, and its /128 when it has an IPv6 address. */
export function allowedIpsOf(session: { address: number; address6: string | null }): string {
  const v4 = `${formatIpv4(session.address)}/32`;
  return session.address6 === null ? v4 : `${v4},${session.address6}/128`;
}

/** One allowed-ips entry as wg prints it, or null when it is not a valid one. */
export function canonicalAllowedIp(entry: string): string | null {
  const [ip = '', bits, ...rest] = entry.split('/');
  if (bits === undefined || rest.length > 0 || !/^\d{1,3}$/.test(bits)) return null;
  if (isIPv4(ip)) return Number(bits) <= 32 ? `${formatIpv4(parseIpv4(ip))}/${bits}` : null;
  try {
    return Number(bits) <= 128 ? `${formatIpv6(parseIpv6(ip))}/${Number(bits)}` : null;
  } catch {
    return null;
  }
}

// IPv4 addresses as unsigned 32-bit integers: cheap to compare, index and allocate.

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

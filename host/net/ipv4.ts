/** IPv4 addresses and prefixes as numbers: the little arithmetic topologies need. */

export interface Prefix {
  /** The network address, as an unsigned 32-bit number. */
  base: number;
  length: number;
}

export function ipToNumber(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

export function numberToIp(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/** `10.1.0.0/24`; a prefix with host bits set (`10.1.0.5/24`) is refused: it is a typo more often than not. */
export function parsePrefix(cidr: string): Prefix | { error: string } {
  const [ip, len] = cidr.split('/');
  const length = Number(len);
  const base = ipToNumber(ip!);
  const size = 2 ** (32 - length);
  if (base % size !== 0) return { error: `${cidr} has host bits set (the network is ${numberToIp(base - (base % size))}/${length})` };
  return { base, length };
}

export const prefixSize = (p: Prefix) => 2 ** (32 - p.length);

export function contains(p: Prefix, ip: number): boolean {
  return ip >= p.base && ip < p.base + prefixSize(p);
}

export function overlaps(a: Prefix, b: Prefix): boolean {
  return a.base < b.base + prefixSize(b) && b.base < a.base + prefixSize(a);
}

/** The addresses guests and routers may use: all but the network and broadcast addresses (a /31 or /32 has none). */
export function usable(p: Prefix): { first: number; last: number } {
  const size = prefixSize(p);
  return size <= 2 ? { first: p.base, last: p.base + size - 1 } : { first: p.base + 1, last: p.base + size - 2 };
}

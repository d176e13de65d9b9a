/** IPv4 arithmetic for pools and subnets (addresses are validated by the contract's schemas). */

export function ipToInt(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

export function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

export function prefixLength(cidr: string): number {
  return Number(cidr.split('/')[1]);
}

/** A subnet's canonical form: its network address and length (`10.1.0.7/16` -> `10.1.0.0/16`). */
export function canonicalCidr(cidr: string): string {
  const [addr, len] = cidr.split('/') as [string, string];
  const bits = Number(len);
  const size = 2 ** (32 - bits);
  return `${intToIp(Math.floor(ipToInt(addr) / size) * size)}/${bits}`;
}

export function inSubnet(ip: string, cidr: string): boolean {
  return canonicalCidr(`${ip}/${prefixLength(cidr)}`) === canonicalCidr(cidr);
}

/** Guest `index`'s address in `pool`, or undefined when the pool is too small for it. */
export function poolAddress(pool: { first: string; size: number }, index: number): string | undefined {
  if (index >= pool.size) return undefined;
  const n = ipToInt(pool.first) + index;
  return n > 0xffffffff ? undefined : intToIp(n);
}

/**
 * Where a connection comes from, as the login throttle keys it: an IPv4 address, or the /64 an
 * IPv6 address is in (one machine usually holds a whole /64, so keying single IPv6 addresses
 * would give a guesser 2^64 fresh starts).
 */
import type { Socket } from 'node:net';
import type { Client } from 'aedes';

export function sourceAddress(client: Client): string {
  // A TCP client's conn is its socket; a WebSocket client's is a stream over the upgraded request's.
  const raw = (client.conn as Partial<Socket>).remoteAddress ?? client.req?.socket?.remoteAddress;
  return raw ? addressKey(raw) : 'unknown';
}

export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!address.includes(':')) return address;
  const groups = expandIpv6(address.split('%')[0]!);
  return groups ? `${groups.slice(0, 4).join(':')}::/64` : address;
}

/** The eight groups of an IPv6 address, or undefined for something else. */
function expandIpv6(address: string): string[] | undefined {
  const halves = address.toLowerCase().split('::');
  if (halves.length > 2) return undefined;
  const parts = (half: string | undefined) => (half ? half.split(':') : []);
  const head = parts(halves[0]);
  const tail = parts(halves[1]);
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array<string>(Math.max(0, missing)).fill('0'), ...tail];
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return undefined;
  return groups.map((g) => g.replace(/^0+(?=.)/, ''));
}

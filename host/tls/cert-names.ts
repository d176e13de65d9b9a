/**
 * The names a broker's certificate must cover: loopback (127.0.0.1, ::1, localhost), the
 * machine's name, and the address the broker listens on; listening on every interface (0.0.0.0,
 * ::) means every address the machine has now. A client checks the name it connected to against
 * these, so a board given `mqtts://desk-pc:8883` needs `desk-pc` here.
 */
import { isIP } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';

export interface CertNames {
  ips: string[];
  dns: string[];
}

export interface Machine {
  hostname: string;
  interfaces: ReturnType<typeof networkInterfaces>;
}

export const thisMachine = (): Machine => ({ hostname: hostname(), interfaces: networkInterfaces() });

/**
 * What a desk's QEMU boards call the broker: their /etc/hosts maps it to QEMU's forwarded
 * address (host/qemu/machine.ts), which leads to this machine's loopback, so it is a loopback name.
 */
export const QEMU_BROKER_NAME = 'deskbox-broker';

export function certNames(host: string, machine: Machine = thisMachine()): CertNames {
  const ips = new Set(['127.0.0.1', '::1']);
  const dns = new Set(['localhost', QEMU_BROKER_NAME]);
  if (machine.hostname) dns.add(machine.hostname.toLowerCase());
  if (host === '0.0.0.0' || host === '::') {
    for (const address of Object.values(machine.interfaces).flat()) {
      // Link-local IPv6 needs a zone to be reached at all; nobody types it into a client.
      if (!address || address.internal || (address.family === 'IPv6' && /^fe80:/i.test(address.address))) continue;
      if (host === '::' || address.family === 'IPv4') ips.add(address.address);
    }
  } else if (isIP(host)) {
    ips.add(host);
  } else if (host) {
    dns.add(host.toLowerCase());
  }
  return { ips: [...ips], dns: [...dns] };
}

/** As OpenSSL's subjectAltName wants them. */
export const altNames = (names: CertNames) => [...names.ips.map((ip) => `IP:${ip}`), ...names.dns.map((d) => `DNS:${d}`)].join(', ');

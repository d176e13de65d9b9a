/**
 * A desk's TLS files, kept usable across `desk up`s (and `deskbox broker` starts). The CA is
 * made once per folder and kept: boards and outside clients trust it, a new one would lock them
 * all out. It is made again only when it is missing, damaged, does not match its key or runs out
 * within 30 days. The broker's certificate is issued again whenever it no longer fits: signed by
 * another CA, missing a name the broker is now reached by (another `--host`, a renamed machine),
 * close to its end, or not matching its key.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ensurePrivateDir, restrictFileSync } from '../../platform/private-files.ts';
import type { TlsFiles } from '../locations/tls-files.ts';
import { certNames, thisMachine, type CertNames, type Machine } from './cert-names.ts';
import { issueCa, issueServerCert } from './issue.ts';

const RENEW_BEFORE_MS = 30 * 86_400_000;

export interface TlsOutcome {
  caIssued: boolean;
  serverIssued: boolean;
  names: CertNames;
}

export interface EnsureTlsOptions {
  /** The address the broker listens on. */
  host: string;
  /** Names the certificates: `deskbox desk1`. */
  label: string;
  machine?: Machine;
  now?: number;
}

async function readCert(file: string): Promise<X509Certificate | undefined> {
  try {
    return new X509Certificate(await readFile(file));
  } catch {
    return undefined; // missing or damaged: either way, issue it again
  }
}

async function keyMatches(cert: X509Certificate, keyFile: string): Promise<boolean> {
  try {
    return cert.checkPrivateKey(createPrivateKey(await readFile(keyFile)));
  } catch {
    return false;
  }
}

const lastsPast = (cert: X509Certificate, at: number) => Date.parse(cert.validTo) > at;
const covers = (cert: X509Certificate, names: CertNames) =>
  names.ips.every((ip) => cert.checkIP(ip) !== undefined) && names.dns.every((name) => cert.checkHost(name, { wildcards: false }) !== undefined);

export async function ensureTls(files: TlsFiles, opts: EnsureTlsOptions): Promise<TlsOutcome> {
  const renewBy = (opts.now ?? Date.now()) + RENEW_BEFORE_MS;
  const names = certNames(opts.host, opts.machine ?? thisMachine());
  await ensurePrivateDir(files.dir);

  let ca = await readCert(files.caCert);
  const caIssued = !(ca?.ca && lastsPast(ca, renewBy) && await keyMatches(ca, files.caKey));
  if (caIssued) {
    await issueCa(files, opts.label);
    ca = (await readCert(files.caCert))!;
  }
  const server = await readCert(files.serverCert);
  const serverFits = !caIssued && server !== undefined && server.checkIssued(ca!) && server.verify(ca!.publicKey)
    && covers(server, names) && lastsPast(server, renewBy) && await keyMatches(server, files.serverKey);
  if (!serverFits) await issueServerCert(files, names, opts.label);
  // An older folder's keys may have wider modes; what this run wrote is 0600 already.
  for (const key of [files.caKey, files.serverKey]) restrictFileSync(key);
  return { caIssued, serverIssued: !serverFits, names };
}

/**
 * The certificate `deskbox broker` presents: the user's own (`--cert`/`--key`, e.g. from their
 * organisation's CA), or one signed by a CA of its own kept in a folder, made and renewed as a
 * simulated desk's is (ensure-tls.ts). With its own CA, clients need that CA's file.
 */
import { readFile } from 'node:fs/promises';
import { tlsFiles } from '../locations/tls-files.ts';
import { ensureTls } from './ensure-tls.ts';

export interface BrokerIdentity {
  cert: Buffer;
  key: Buffer;
  /** The CA clients verify the broker with, when deskbox made it. */
  caFile?: string;
}

export class BrokerIdentityError extends Error {
  override readonly name = 'BrokerIdentityError';
}

export async function brokerIdentity(opts: { cert?: string; key?: string; dir: string; host: string }): Promise<BrokerIdentity> {
  if (opts.cert || opts.key) {
    if (!opts.cert || !opts.key) throw new BrokerIdentityError('--cert and --key go together: the certificate (chain) and its private key');
    const [cert, key] = await Promise.all([readFile(opts.cert), readFile(opts.key)]);
    return { cert, key };
  }
  const files = tlsFiles(opts.dir);
  await ensureTls(files, { host: opts.host, label: 'deskbox broker' });
  const [cert, key] = await Promise.all([readFile(files.serverCert), readFile(files.serverKey)]);
  return { cert, key, caFile: files.caCert };
}

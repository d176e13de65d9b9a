/**
 * Where a desk keeps its TLS files: its certificate authority (the certificate every client
 * verifies the broker with, and the key that signs) and the broker's certificate and key. The
 * keys are private (0600 in a 0700 folder); the certificates are public, but live beside them.
 */
import { join } from 'node:path';

export interface TlsFiles {
  dir: string;
  /** The desk CA's certificate (PEM): what boards' `caFile`, `mosquitto_sub --cafile` and `--ca` name. */
  caCert: string;
  caKey: string;
  /** The certificate the broker's mqtts and wss listeners (and an HTTPS dashboard) present. */
  serverCert: string;
  serverKey: string;
}

export function tlsFiles(dir: string): TlsFiles {
  return {
    dir,
    caCert: join(dir, 'ca.pem'),
    caKey: join(dir, 'ca.key'),
    serverCert: join(dir, 'server.pem'),
    serverKey: join(dir, 'server.key'),
  };
}

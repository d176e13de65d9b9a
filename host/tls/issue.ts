/**
 * Issuing the desk's certificates: a CA (EC P-256, 10 years, may sign server certificates
 * only: pathlen 0) and a server certificate it signs for the broker's names. Keys are made by
 * Node's crypto and written 0600 before openssl reads them; certificates come back on openssl's
 * stdout. Each file is replaced atomically, key first: a crash between the two leaves a key
 * that does not match its certificate, which desk-tls.ts takes as "issue again".
 */
import { generateKeyPair } from 'node:crypto';
import { writeFileAtomic } from '../../platform/atomic-file.ts';
import { PRIVATE_FILE_MODE } from '../../platform/private-files.ts';
import type { TlsFiles } from '../locations/tls-files.ts';
import { altNames, type CertNames } from './cert-names.ts';
import { openssl } from './openssl.ts';

const CA_DAYS = 3650;
/** Apple's TLS clients refuse server certificates valid for longer, even from a private CA. */
const SERVER_DAYS = 825;

function newKey(file: string): Promise<void> {
  return new Promise<string>((resolve, reject) => {
    generateKeyPair('ec', { namedCurve: 'prime256v1', privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } },
      (err, _pub, key) => (err ? reject(err) : resolve(key)));
  }).then((key) => writeFileAtomic(file, key, { durable: true, mode: PRIVATE_FILE_MODE }));
}

/** An openssl req config: the subject's common name and the certificate's extensions. */
const reqConfig = (commonName: string, extensions: string[]) => [
  '[req]', 'distinguished_name = dn', 'prompt = no', 'x509_extensions = ext',
  '[dn]', `CN = ${commonName.replace(/[^\w .-]/g, '_')}`,
  '[ext]', ...extensions, '',
].join('\n');

const writeCert = (file: string, pem: string) => writeFileAtomic(file, pem, { durable: true, mode: 0o644 });

/** A new CA key and self-signed certificate; `label` names the desk (`deskbox desk1`). */
export async function issueCa(files: TlsFiles, label: string): Promise<void> {
  await newKey(files.caKey);
  const config = reqConfig(`${label} CA`, [
    'basicConstraints = critical, CA:TRUE, pathlen:0',
    'keyUsage = critical, keyCertSign, cRLSign',
    'subjectKeyIdentifier = hash',
  ]);
  const pem = await openssl('issue the desk CA', ['req', '-x509', '-new', '-key', files.caKey, '-days', String(CA_DAYS), '-sha256'], config);
  await writeCert(files.caCert, pem);
}

/** A new server key and a certificate for `names`, signed by the CA in `files`. */
export async function issueServerCert(files: TlsFiles, names: CertNames, label: string): Promise<void> {
  await newKey(files.serverKey);
  const config = reqConfig(`${label} broker`, [
    'basicConstraints = critical, CA:FALSE',
    'keyUsage = critical, digitalSignature',
    'extendedKeyUsage = serverAuth',
    'subjectKeyIdentifier = hash',
    'authorityKeyIdentifier = keyid',
    `subjectAltName = ${altNames(names)}`,
  ]);
  const args = ['req', '-x509', '-new', '-key', files.serverKey, '-CA', files.caCert, '-CAkey', files.caKey, '-days', String(SERVER_DAYS), '-sha256'];
  await writeCert(files.serverCert, await openssl('issue the broker certificate', args, config));
}

/**
 * The openssl command, for the one thing Node's crypto cannot do: issue X.509 certificates
 * (it makes the keys and reads certificates, X509Certificate, but signs none). OpenSSL is the
 * reference implementation and is on every Debian machine, one ~20 ms process per certificate;
 * the npm alternatives are node-forge, which issues RSA certificates only (the desk's keys are
 * EC P-256), or @peculiar/x509 with a WebCrypto stack, several new dependencies for two calls.
 * deskbox gives it a config of its own, so nothing depends on the machine's openssl.cnf, and
 * takes the certificate from its stdout: deskbox writes every file itself (atomically, its modes).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class OpensslError extends Error {
  constructor(readonly what: string, reason: string) {
    super(`openssl could not ${what}: ${reason}`);
    this.name = 'OpensslError';
  }
}

/** Runs `openssl <args> -config <config>`; resolves with its stdout. */
export async function openssl(what: string, args: string[], config: string): Promise<string> {
  // A file, not stdin: Node's stdio pipes are sockets, which openssl cannot open as /dev/stdin.
  const dir = await mkdtemp(join(tmpdir(), 'deskbox-openssl-'));
  try {
    const file = join(dir, 'req.cnf');
    await writeFile(file, config);
    return await run(what, [...args, '-config', file]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function run(what: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { timeout: 30_000 }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return reject(new OpensslError(what, 'the openssl command is missing (apt-get install openssl)'));
      // The first line says what went wrong; the rest is OpenSSL's error stack.
      reject(new OpensslError(what, stderr.trim().split('\n')[0] || err.message));
    });
  });
}

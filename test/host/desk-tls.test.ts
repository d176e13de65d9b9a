/**
 * A desk's TLS files (host/tls/): the CA made once and kept, the broker's certificate issued for
 * the names it is reached by and issued again when they change, signed by another CA or damaged;
 * keys 0600 in a 0700 folder whatever the umask; P-256 keys.
 *   node --import tsx node_modules/uvu/bin.js test/host 'desk-tls.test.ts$'
 */
import { X509Certificate } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { certNames, type Machine } from '../../host/tls/cert-names.ts';
import { ensureTls } from '../../host/tls/ensure-tls.ts';
import { tlsFiles } from '../../host/locations/tls-files.ts';
import { withTempDir } from '../support/temp-dir.ts';

const machine: Machine = {
  hostname: 'Desk-PC',
  interfaces: {
    lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true, netmask: '255.0.0.0', mac: '00:00:00:00:00:00', cidr: '127.0.0.1/8' }],
    eth0: [
      { address: '192.0.2.10', family: 'IPv4', internal: false, netmask: '255.255.255.0', mac: '02:00:00:00:00:01', cidr: '192.0.2.10/24' },
      { address: '2001:db8::10', family: 'IPv6', internal: false, netmask: 'ffff:ffff:ffff:ffff::', mac: '02:00:00:00:00:01', cidr: '2001:db8::10/64', scopeid: 0 },
      { address: 'fe80::1', family: 'IPv6', internal: false, netmask: 'ffff:ffff:ffff:ffff::', mac: '02:00:00:00:00:01', cidr: 'fe80::1/64', scopeid: 2 },
    ],
  },
};

test('names: loopback and the machine always; the listen address, or every address for a wildcard', () => {
  assert.equal(certNames('127.0.0.1', machine), { ips: ['127.0.0.1', '::1'], dns: ['localhost', 'deskbox-broker', 'desk-pc'] });
  assert.equal(certNames('192.0.2.77', machine).ips, ['127.0.0.1', '::1', '192.0.2.77']);
  assert.equal(certNames('desk.example', machine).dns, ['localhost', 'deskbox-broker', 'desk-pc', 'desk.example']);
  assert.equal(certNames('0.0.0.0', machine).ips, ['127.0.0.1', '::1', '192.0.2.10'], 'IPv4 wildcard: the IPv4 addresses');
  assert.equal(certNames('::', machine).ips, ['127.0.0.1', '::1', '192.0.2.10', '2001:db8::10'], 'no link-local address');
});

const cert = async (file: string) => new X509Certificate(await readFile(file));
const mode = async (file: string) => (await stat(file)).mode & 0o777;

test('a CA and a server certificate it signed, for the broker\'s names; keys private whatever the umask', () => withTempDir('deskbox-tls-', async (dir) => {
  const files = tlsFiles(join(dir, 'tls'));
  const umask = process.umask(0);
  let outcome;
  try {
    outcome = await ensureTls(files, { host: '192.0.2.77', label: 'deskbox desk1', machine });
  } finally {
    process.umask(umask);
  }
  assert.equal({ ca: outcome.caIssued, server: outcome.serverIssued }, { ca: true, server: true });
  assert.is(await mode(files.dir), 0o700);
  assert.is(await mode(files.caKey), 0o600);
  assert.is(await mode(files.serverKey), 0o600);
  const ca = await cert(files.caCert);
  const server = await cert(files.serverCert);
  assert.ok(ca.ca, 'the CA may sign');
  assert.not.ok(server.ca, 'the server certificate may not');
  assert.ok(server.checkIssued(ca) && server.verify(ca.publicKey), 'signed by the desk CA');
  assert.is(server.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  for (const ip of ['127.0.0.1', '::1', '192.0.2.77']) assert.is(server.checkIP(ip), ip, `covers ${ip}`);
  for (const name of ['localhost', 'desk-pc']) assert.is(server.checkHost(name), name, `covers ${name}`);
  assert.is(server.checkIP('192.0.2.78'), undefined);
}));

test('kept across ups; the server certificate again for a new host, a new CA only when its own is unusable', () => withTempDir('deskbox-tls-', async (dir) => {
  const files = tlsFiles(dir);
  await ensureTls(files, { host: '127.0.0.1', label: 'deskbox desk1', machine });
  const [caPem, serverPem] = await Promise.all([readFile(files.caCert, 'utf8'), readFile(files.serverCert, 'utf8')]);

  const again = await ensureTls(files, { host: '127.0.0.1', label: 'deskbox desk1', machine });
  assert.equal({ ca: again.caIssued, server: again.serverIssued }, { ca: false, server: false });
  assert.is(await readFile(files.serverCert, 'utf8'), serverPem, 'nothing changed');

  const moved = await ensureTls(files, { host: '0.0.0.0', label: 'deskbox desk1', machine });
  assert.equal({ ca: moved.caIssued, server: moved.serverIssued }, { ca: false, server: true }, 'another host: a new server certificate');
  assert.is(await readFile(files.caCert, 'utf8'), caPem, 'the same CA: boards and clients keep trusting the broker');
  assert.is((await cert(files.serverCert)).checkIP('192.0.2.10'), '192.0.2.10');

  await writeFile(files.serverKey, 'damaged');
  assert.is((await ensureTls(files, { host: '0.0.0.0', label: 'deskbox desk1', machine })).serverIssued, true, 'a key that does not match: issued again');

  const late = await ensureTls(files, { host: '0.0.0.0', label: 'deskbox desk1', machine, now: Date.now() + 900 * 86_400_000 });
  assert.equal({ ca: late.caIssued, server: late.serverIssued }, { ca: false, server: true }, 'a server certificate near its end is renewed');

  await writeFile(files.caCert, 'not a certificate');
  const fresh = await ensureTls(files, { host: '0.0.0.0', label: 'deskbox desk1', machine });
  assert.equal({ ca: fresh.caIssued, server: fresh.serverIssued }, { ca: true, server: true }, 'a damaged CA: a new one, and a certificate it signed');
  assert.ok((await cert(files.serverCert)).verify((await cert(files.caCert)).publicKey));
}));

test.run();

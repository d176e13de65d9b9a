/**
 * Where `/config.json` sends the page: the broker's WebSocket at its address (at the host the
 * browser used for the page when it listens on every address), ws:// from a page over HTTP
 * (wss:// where the broker has no plain one), wss:// from a page over HTTPS, which the dashboard
 * serves with the desk's certificate.
 *   node --import tsx node_modules/uvu/bin.js test/host 'dashboard-tls.test.ts$'
 */
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { readFile } from 'node:fs/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { memoryLogger } from '../../platform/log.ts';
import { startDashboard } from '../../host/dashboard/server.ts';
import type { PageBroker } from '../../host/dashboard/page-config.ts';
import { ensureTls } from '../../host/tls/ensure-tls.ts';
import { tlsFiles } from '../../host/locations/tls-files.ts';
import { tempDir } from '../support/temp-dir.ts';

const dir = await tempDir('deskbox-dashboard-tls-');
const files = tlsFiles(dir.path);
await ensureTls(files, { host: '127.0.0.1', label: 'deskbox test' });
const [cert, key, ca] = await Promise.all([readFile(files.serverCert), readFile(files.serverKey), readFile(files.caCert)]);
test.after(() => dir.remove());

/** The page's wsUrls, asked for as a browser that reached the dashboard as `host` would ask. */
function wsUrls(url: string, host?: string): Promise<string[]> {
  const get = url.startsWith('https:') ? httpsGet : httpGet;
  return new Promise((resolve, reject) => {
    // Node checks the certificate against a Host header given; the server's answer is what is tested here.
    get(`${url}config.json`, { ca, ...(host ? { headers: { host }, checkServerIdentity: () => undefined } : {}) }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d)).on('end', () => resolve((JSON.parse(body) as { wsUrls: string[] }).wsUrls));
    }).on('error', reject);
  });
}

const wsUrl = async (url: string, host?: string) => {
  const urls = await wsUrls(url, host);
  assert.is(urls.length, 1, `one broker, one URL: ${urls.join(', ')}`);
  return urls[0]!;
};
const one = (host: string, wsPort: number | null, wssPort: number | null) => ({ host, nodes: [{ wsPort, wssPort }] });

async function withDashboard(broker: PageBroker, tls: boolean, fn: (url: string) => Promise<void>): Promise<void> {
  const dash = await startDashboard({ host: '127.0.0.1', port: 0, desk: 'd1', broker, ...(tls ? { tls: { cert, key } } : {}), logger: memoryLogger() });
  try {
    await fn(dash.url);
  } finally {
    await dash.close();
  }
}

test('over HTTP: the plain WebSocket; wss where there is none; a wildcard broker at the page\'s host', () => withDashboard(one('127.0.0.1', 1111, 2222), false, async (url) => {
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  assert.is(await wsUrl(url), 'ws://127.0.0.1:1111/mqtt');
  assert.is(await wsUrl(url, 'localhost:8080'), 'ws://127.0.0.1:1111/mqtt', 'a broker on one address is reached there');
  await withDashboard(one('0.0.0.0', 1111, 2222), false, async (everywhere) => {
    assert.is(await wsUrl(everywhere, 'Desk-PC:8080'), 'ws://desk-pc:1111/mqtt');
  });
  await withDashboard(one('192.0.2.7', null, 2222), false, async (tlsOnly) => {
    assert.is(await wsUrl(tlsOnly, 'localhost:8080'), 'wss://192.0.2.7:2222/mqtt');
  });
}));

test('over HTTPS with the desk\'s certificate: wss:// only', () => withDashboard(one('0.0.0.0', null, 2222), true, async (url) => {
  assert.match(url, /^https:\/\/127\.0\.0\.1:\d+\/$/, 'a wildcard listener is shown at loopback, which the certificate covers');
  assert.is(await wsUrl(url), 'wss://127.0.0.1:2222/mqtt');
  assert.is(await wsUrl(url, '[::1]:4443'), 'wss://[::1]:2222/mqtt');
  assert.is(await wsUrl(url, 'not a host'), 'wss://127.0.0.1:2222/mqtt', 'a Host header that is no host: the listener\'s address');
  await withDashboard(one('127.0.0.1', 1111, 2222), true, async (loopback) => {
    assert.is(await wsUrl(loopback), 'wss://127.0.0.1:2222/mqtt', 'never ws:// from a page over HTTPS');
  });
}));

test('a real desk\'s fixed URL is passed on as given', () => withDashboard({ urls: ['wss://desk.example:8084/mqtt'] }, false, async (url) => {
  assert.is(await wsUrl(url, 'elsewhere'), 'wss://desk.example:8084/mqtt');
}));

test('a cluster\'s page gets every node, node 0 first; a real cluster\'s URLs as given', async () => {
  await withDashboard({ host: '127.0.0.1', nodes: [{ wsPort: 1111, wssPort: 2222 }, { wsPort: 3333, wssPort: 4444 }] }, false, async (url) => {
    assert.equal(await wsUrls(url), ['ws://127.0.0.1:1111/mqtt', 'ws://127.0.0.1:3333/mqtt']);
  });
  await withDashboard({ urls: ['wss://a.example:8084/mqtt', 'wss://b.example:8084/mqtt'] }, false, async (url) => {
    assert.equal(await wsUrls(url), ['wss://a.example:8084/mqtt', 'wss://b.example:8084/mqtt']);
  });
});

test.run();

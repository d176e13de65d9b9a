/**
 * The browser the dashboard tests drive is found by name on the PATH (Debian: chromium,
 * Ubuntu's snap: chromium-browser, Google's: google-chrome), or given by CHROMIUM.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { findChromium } from '../support/chromium.ts';
import { tempDirs } from '../support/temp-dir.ts';

const temps = tempDirs();
test.after.each(() => temps.removeAll());

async function fakeBrowser(dir: string, name: string, mode = 0o755): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, name);
  await writeFile(path, '#!/bin/sh\n');
  await chmod(path, mode);
  return path;
}

test('the PATH is searched in order of names, then of folders; a file that is not executable does not count', async () => {
  const root = await temps.make('deskbox-chromium-');
  const ubuntu = await fakeBrowser(join(root, 'snap'), 'chromium-browser');
  await fakeBrowser(join(root, 'usr'), 'chromium', 0o644);
  assert.is(findChromium({ PATH: `${join(root, 'usr')}:${join(root, 'snap')}` }), ubuntu);
  const debian = await fakeBrowser(join(root, 'bin'), 'chromium');
  assert.is(findChromium({ PATH: `${join(root, 'snap')}:${join(root, 'bin')}` }), debian);
});

test('CHROMIUM wins, and must be executable; no browser at all is one clear line', async () => {
  const root = await temps.make('deskbox-chromium-');
  const mine = await fakeBrowser(root, 'my-chrome');
  assert.is(findChromium({ CHROMIUM: mine, PATH: '' }), mine);
  assert.throws(() => findChromium({ CHROMIUM: join(root, 'nope'), PATH: '' }), /CHROMIUM=.*nope is not an executable file/);
  assert.throws(() => findChromium({ PATH: root }), /no Chromium on the PATH \(looked for chromium, chromium-browser, google-chrome-stable, google-chrome\).*set CHROMIUM=/);
});

test.run();

/**
 * The real browser the dashboard tests drive. Debian's `chromium` package puts it at
 * /usr/bin/chromium; elsewhere it has other names (Ubuntu's snap: chromium-browser, Google's
 * builds: google-chrome), so the PATH is searched, and `CHROMIUM=/path/to/browser` wins.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

const NAMES = ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome'];

/** The browser's path; throws a one-line error saying how to get one when there is none. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string {
  const executable = (path: string) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (env.CHROMIUM) {
    if (executable(env.CHROMIUM)) return env.CHROMIUM;
    throw new Error(`CHROMIUM=${env.CHROMIUM} is not an executable file`);
  }
  const dirs = (env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const name of NAMES) {
    for (const dir of dirs) if (executable(join(dir, name))) return join(dir, name);
  }
  throw new Error(`no Chromium on the PATH (looked for ${NAMES.join(', ')}): the dashboard tests need a real browser; install Debian's chromium package or set CHROMIUM=/path/to/chrome`);
}

/**
 * Network namespaces for tests: listing them and the machine's own links (to prove nothing was
 * left), pinging from inside one, and registering a test only where namespaces can be made
 * (root and `ip netns`): elsewhere it says NOT RUN at exit instead of passing without running.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const ip = (...args: string[]) => execFileSync('ip', args, { encoding: 'utf8' });
export const netnsList = () => ip('netns', 'list').split('\n').map((l) => l.split(' ')[0]!).filter(Boolean);
export const rootLinks = () => ip('-o', 'link', 'show').split('\n').filter(Boolean).map((l) => l.split(': ')[1]!.split('@')[0]!).sort();

export const canNetns = (() => {
  if (process.getuid?.() !== 0) return false;
  try {
    ip('netns', 'list');
    return true;
  } catch {
    return false;
  }
})();

const PING = existsSync('/bin/ping') || existsSync('/usr/bin/ping') ? ['ping'] : ['busybox', 'ping'];

/** One ping from inside namespace `from`; whether it was answered within a second. */
export function pings(from: string, to: string): boolean {
  try {
    execFileSync('ip', ['netns', 'exec', from, ...PING, '-c1', '-W1', to], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** `register()` where namespaces can be made; a NOT RUN line at exit elsewhere. */
export function whereNetns(what: string, register: () => void): void {
  if (canNetns) register();
  else process.once('exit', () => console.log(`  NOT RUN: ${what}: needs root and ip netns; not counted as passed.`));
}

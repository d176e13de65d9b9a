/**
 * A fake `uhubctl` on PATH: a shell script that appends its arguments to `args` and prints what
 * the real one prints (a "Current status for hub" listing, and after an action "Sent power ...
 * request" and the "New status"). One hub, 1-1.4, whose ports share one remembered state; any
 * other location fails the way the real tool does.
 */
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const HUB = '1-1.4';
const HEADER = '[2109:2813 VIA Labs, Inc. USB2.0 Hub, USB 2.10, 4 ports, ppps]';

export async function fakeUhubctl(dir: string): Promise<{ env: NodeJS.ProcessEnv; args(): Promise<string[]> }> {
  const script = `#!/bin/sh
echo "$*" >> '${dir}/args'
loc= port= action=
while [ $# -gt 0 ]; do
  case "$1" in
    -l) loc=$2; shift 2 ;;
    -p) port=$2; shift 2 ;;
    -a) action=$2; shift 2 ;;
    *) shift ;;
  esac
done
if [ "$loc" != '${HUB}' ]; then
  echo "No compatible devices detected at location $loc!" >&2
  echo "Run with -h to get usage info." >&2
  exit 1
fi
state=$(cat '${dir}/state' 2>/dev/null || echo off)
port_line() {
  if [ "$1" = on ]; then echo "  Port $port: 0100 power"; else echo "  Port $port: 0000 off"; fi
}
echo "Current status for hub $loc ${HEADER}"
port_line "$state"
if [ -n "$action" ]; then
  echo "Sent power $action request"
  echo "$action" > '${dir}/state'
  echo "New status for hub $loc ${HEADER}"
  port_line "$action"
fi
`;
  await writeFile(join(dir, 'uhubctl'), script);
  await chmod(join(dir, 'uhubctl'), 0o755);
  return {
    env: { ...process.env, PATH: `${dir}:${process.env.PATH ?? ''}` },
    args: async () => (await readFile(join(dir, 'args'), 'utf8').catch(() => '')).split('\n').filter(Boolean),
  };
}

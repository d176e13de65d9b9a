/**
 * A running simulated desk as a desk file: its broker over TLS, its credentials, and per board
 * its console port (a stable link, as /dev/serial/by-path would be) and its switch (the `sim`
 * power driver). With it, the real-desk commands (`desk check`, `desk discover`, every
 * `--desk-file` command) can be tried without hardware, and tested.
 */
import { stringify } from 'yaml';
import type { DeskLayout } from '../locations/layout.ts';
import type { DeskFile } from '../locations/desk-file.ts';
import type { DeskYamlInput } from '../locations/desk-yaml.ts';

export function describeSimulatedDesk(layout: DeskLayout, desk: DeskFile, broker: { url: string | string[]; ws?: string | string[] }, opts: { consoles: boolean }): string {
  const yaml: DeskYamlInput = {
    v: 1,
    desk: desk.desk,
    broker: {
      url: broker.url,
      ...(broker.ws && { ws: broker.ws }),
      ca: layout.tls.caCert,
      passwordFiles: { host: layout.credential('host'), monitor: layout.credential('monitor') },
    },
    hubs: {},
    boards: Object.fromEntries(desk.boards.map((b) => [b, {
      ...(desk.tags[b]?.length && { tags: desk.tags[b] }),
      ...(opts.consoles && { console: { path: layout.board(b).consolePort, baud: desk.console.baud } }),
      power: { driver: 'sim' as const, board: b, state: layout.root },
    }])),
  };
  return `# The simulated desk in ${layout.root}, as a real desk's desk file (docs/real-desk.md).\n${stringify(yaml)}`;
}

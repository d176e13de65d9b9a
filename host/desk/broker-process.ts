/**
 * The simulated desk's broker in a process of its own. A 490-board desk keeps its supervisor
 * busy (U-Boot consoles, boot checks, the power model); a broker sharing that event loop
 * answered CONNACKs only after 30 s. The broker is the supervisor's child in its process group,
 * so reaping a crashed desk takes it too, and it exits when its stdin closes: a supervisor
 * that died without cleaning up does not leave it holding the ports.
 */
import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Logger } from '../../platform/log.ts';
import type { DeskLayout } from '../locations/layout.ts';
import { startDeskBroker } from './desk-broker.ts';
import { readDeskFile } from '../locations/desk-file.ts';

export interface BrokerProcess {
  tcpPort: number;
  wsPort: number | null;
  pid: number;
  close(): Promise<void>;
}

/** What the child prints on stdout once it listens. */
interface Listening {
  tcpPort: number;
  wsPort: number | null;
}

const STOP_GRACE_MS = 10_000;

/** `cli`: the deskbox entry point the supervisor itself runs from. */
export async function spawnBrokerProcess(layout: DeskLayout, cli: string, logger: Logger, onUnexpectedExit: (reason: string) => void): Promise<BrokerProcess> {
  const log = openSync(layout.brokerLog, 'a');
  const child = spawn(process.execPath, [...process.execArgv, cli, 'desk', 'broker', '--state', layout.root], { stdio: ['pipe', 'pipe', log] });
  closeSync(log);
  let closing = false;
  const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(signal ? `signal ${signal}` : `code ${code}`)));
  void exited.then((how) => { if (!closing) onUnexpectedExit(`the desk broker exited (${how}); see ${layout.brokerLog}`); });

  const listening = await new Promise<Listening>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => {
      try {
        resolve(JSON.parse(line) as Listening);
      } catch {
        reject(new Error(`the desk broker said "${line}" instead of its ports`));
      }
    });
    void exited.then((how) => reject(new Error(`the desk broker exited during start-up (${how}); see ${layout.brokerLog}`)));
  });
  logger.info('broker process listening', { pid: child.pid, ...listening });
  return {
    ...listening,
    pid: child.pid!,
    async close() {
      closing = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The child's side: `deskbox desk broker --state <dir>` (hidden), until SIGTERM or stdin ends. */
export async function runBrokerProcess(layout: DeskLayout, logger: Logger): Promise<void> {
  const desk = await readDeskFile(layout);
  const broker = await startDeskBroker(layout, desk, logger);
  process.stdout.write(`${JSON.stringify({ tcpPort: broker.tcpPort, wsPort: broker.wsPort } satisfies Listening)}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
    process.stdin.once('end', resolve);
    process.stdin.once('error', resolve);
    process.stdin.resume();
  });
  logger.info('broker stopping');
  await broker.close();
}

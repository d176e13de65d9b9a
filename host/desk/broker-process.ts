/**
 * The simulated desk's broker in a process of its own. A 490-board desk keeps its supervisor
 * busy (U-Boot consoles, boot checks, the power model); a broker sharing that event loop
 * answered CONNACKs only after 30 s. The broker is the supervisor's child in its process group,
 * so reaping a crashed desk takes it too, and it exits when its stdin closes: a supervisor
 * that died without cleaning up does not leave it holding the ports. What to do when it dies
 * is broker-keeper.ts's business; this file starts one and reports how it ended.
 */
import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Logger } from '../../platform/log.ts';
import type { DeskLayout } from '../locations/layout.ts';
import { startDeskBroker, type ClusterNode } from './desk-broker.ts';
import { readDeskFile } from '../locations/desk-file.ts';
import { LISTENER_NAMES } from '../../broker/index.ts';
import { portsIn, type BrokerPorts, type Listener } from './broker-ports.ts';
import { stopChild } from '../../platform/child-stop.ts';

export interface BrokerProcess extends BrokerPorts {
  pid: number;
  /** Settles with how the process ended (`signal SIGKILL`, `code 1`), however it did. */
  exited: Promise<string>;
  close(): Promise<void>;
}

/** The one line the child prints on stdout once it listens, or why it cannot. */
type StartReport =
  | { listening: BrokerPorts }
  | { failed: string; portTaken?: { listener: Listener; port: number } };

/** The broker process did not come up; `portTaken` when a port it asked for is in use. */
export class BrokerStartError extends Error {
  constructor(message: string, readonly portTaken?: { listener: Listener; port: number }) {
    super(message);
    this.name = 'BrokerStartError';
  }
}

const STOP_GRACE_MS = 10_000;

/** `cli`: the deskbox entry point the supervisor itself runs from. */
export interface NodeOptions {
  /** A cluster node on this redis-server (broker/cluster.ts) instead of the SQLite store. */
  cluster?: ClusterNode;
  /** Its log; default layout.brokerLog. */
  log?: string;
}

export async function spawnBrokerProcess(layout: DeskLayout, cli: string, ports: BrokerPorts, logger: Logger, node: NodeOptions = {}): Promise<BrokerProcess> {
  const logFile = node.log ?? layout.brokerLog;
  const log = openSync(logFile, 'a');
  const arg = (p: number | null) => (p === null ? 'none' : String(p));
  const args = [cli, 'desk', 'broker', '--state', layout.root, '--port', arg(ports.tcpPort), '--ws-port', arg(ports.wsPort), '--tls-port', arg(ports.tlsPort), '--wss-port', arg(ports.wssPort), ...(node.cluster ? ['--cluster', node.cluster.url, '--node', node.cluster.node] : [])];
  const child = spawn(process.execPath, [...process.execArgv, ...args], { stdio: ['pipe', 'pipe', log] });
  closeSync(log);
  const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(signal ? `signal ${signal}` : `code ${code}`)));

  const started = new Promise<BrokerPorts>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => {
      let report: StartReport;
      try {
        report = JSON.parse(line) as StartReport;
      } catch {
        return reject(new BrokerStartError(`the desk broker said "${line}" instead of its ports`));
      }
      if ('listening' in report) resolve(report.listening);
      else reject(new BrokerStartError(`the desk broker did not start: ${report.failed}`, report.portTaken));
    });
    void exited.then((how) => reject(new BrokerStartError(`the desk broker exited during start-up (${how}); see ${logFile}`)));
  });
  let listening: BrokerPorts;
  try {
    listening = await started;
  } catch (err) {
    // One that answered nonsense may still run: it must not keep the ports from the next try.
    child.kill('SIGKILL');
    await exited;
    throw err;
  }
  logger.info('broker process listening', { pid: child.pid, ...listening });
  return {
    ...listening,
    pid: child.pid!,
    exited,
    close: () => stopChild(child, STOP_GRACE_MS, exited),
  };
}

/**
 * The listener and port of a listen that found its port in use. Read off the fields of the
 * broker's BrokerListenError, which stays inside broker/ (host/ sees only broker/index.ts).
 */
function portTaken(err: unknown): { listener: Listener; port: number } | undefined {
  const e = err as { listener?: unknown; port?: unknown; cause?: { code?: unknown } };
  const listener = LISTENER_NAMES.find((l) => l === e.listener);
  if (e.cause?.code !== 'EADDRINUSE' || !listener || typeof e.port !== 'number') return undefined;
  return { listener, port: e.port };
}

const report = (r: StartReport) => process.stdout.write(`${JSON.stringify(r)}\n`);

/** The child's side: `deskbox desk broker --state <dir> --port <p|none> --ws-port ... --tls-port ... --wss-port ...` (hidden), until SIGTERM or stdin ends. */
export async function runBrokerProcess(layout: DeskLayout, ports: BrokerPorts, logger: Logger, cluster?: ClusterNode): Promise<void> {
  const desk = await readDeskFile(layout);
  let broker;
  try {
    broker = await startDeskBroker(layout, desk, ports, logger, cluster);
  } catch (err) {
    const taken = portTaken(err);
    report({ failed: (err as Error).message, ...(taken ? { portTaken: taken } : {}) });
    throw err;
  }
  report({ listening: portsIn(broker) });
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
    process.stdin.once('end', resolve);
    process.stdin.once('error', resolve);
    process.stdin.resume();
  });
  logger.info('broker stopping');
  await broker.close();
  // The pipe from the supervisor stays open until it exits and would keep this process alive
  // until the supervisor's SIGKILL (STOP_GRACE_MS) on every `desk down`.
  process.stdin.destroy();
}

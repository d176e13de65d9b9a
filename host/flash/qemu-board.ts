/**
 * A real U-Boot on a pty: Debian's u-boot-qemu (2023.01, qemu_arm) in `qemu-system-arm -M virt
 * -m 256`, for trying the U-Boot path and profiles without a board on the desk (the e2e test and
 * the benchmark of that path use it), and, given a disk and a network (host/qemu/), the desk's
 * QEMU boards. The machine starts powered off (`-S`): QEMU drops console
 * output while nobody holds the pty open, so the caller opens the console first, then `reset()`
 * powers the board on (or resets it) through QEMU's monitor, as a person pressing reset would.
 */
import { spawn } from 'node:child_process';
import { createConnection, type Socket } from 'node:net';
import { join } from 'node:path';

const QEMU_ARM_UBOOT = '/usr/lib/u-boot/qemu_arm/u-boot.bin';

export class QemuBoardError extends Error {
  constructor(detail: string, readonly output: string) {
    super(`qemu-system-arm: ${detail}${output.trim() ? `\nqemu said:\n${output.trim()}` : ''}`);
    this.name = 'QemuBoardError';
  }
}

export interface QemuBoard {
  /** The board's console: /dev/pts/N. */
  readonly pty: string;
  readonly pid: number;
  /** system_reset and cont: powers on the first time, resets afterwards. */
  reset(): Promise<void>;
  /** Quits QEMU and resolves once it has exited. */
  close(): Promise<void>;
}

/** QEMU prints this once the pty exists; the path follows. */
const PTY_LINE = /char device redirected to (\/dev\/pts\/\d+)/;
const MONITOR_PROMPT = '(qemu) ';

export interface QemuBoardOptions {
  ramMiB?: number;
  timeoutMs?: number;
  /**
   * The machine's devices besides its console (disks, network, as qemu-system-arm arguments).
   * Default none: `-nic none`, as the default NIC wants a ROM (efi-virtio.rom) Debian's
   * qemu-system-arm lacks; virtio-*-device (MMIO) devices need none.
   */
  devices?: string[];
  /**
   * A tty QEMU opens as the board's UART (a desk's link emulator, which paces it), instead of
   * a pty of its own; QEMU then prints no pty line, and is ready once its monitor answers.
   */
  serial?: string;
}

export async function startQemuBoard(dir: string, opts: QemuBoardOptions = {}): Promise<QemuBoard> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const monitorPath = join(dir, 'qemu-monitor.sock');
  // cortex-a15 is virt's default; said aloud because virt refuses the boards' own Cortex-A8.
  // A comma ends a -chardev option: QEMU wants it doubled inside a path.
  const serial = opts.serial ? ['-chardev', `serial,id=uart,path=${opts.serial.replaceAll(',', ',,')}`, '-serial', 'chardev:uart'] : ['-serial', 'pty'];
  const child = spawn('qemu-system-arm', [
    '-M', 'virt', '-cpu', 'cortex-a15', '-m', String(opts.ramMiB ?? 256), '-display', 'none', ...(opts.devices ?? ['-nic', 'none']), '-S',
    '-bios', QEMU_ARM_UBOOT, ...serial, '-monitor', `unix:${monitorPath},server,nowait`,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // A QEMU that could not start at all may never say 'exit'.
  let spawnError: Error | undefined;
  child.once('error', (e) => { spawnError = e; });
  const kill = async () => {
    if (spawnError) return;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  // Whatever QEMU says (a tty it cannot open, a bad option) goes into the error that follows.
  let said = () => undefined as void;
  const collect = (d: Buffer) => { output = (output + d.toString()).slice(-4000); said(); };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exitedAlready = () => spawnError !== undefined || child.exitCode !== null || child.signalCode !== null;
  let pty: string;
  try {
    pty = opts.serial ?? await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new QemuBoardError(`no pty within ${timeoutMs} ms`, output)), timeoutMs);
      said = () => {
        const m = PTY_LINE.exec(output);
        if (m) { clearTimeout(timer); resolve(m[1]!); }
      };
      child.once('error', (e) => { clearTimeout(timer); reject(new QemuBoardError(`cannot start it (apt install qemu-system-arm u-boot-qemu): ${e.message}`, output)); });
      child.once('exit', (code, signal) => { clearTimeout(timer); reject(new QemuBoardError(`exited early (${signal ?? `code ${code}`})`, output)); });
    });
  } catch (e) {
    await kill();
    throw e;
  }
  const monitor = await connectMonitor(monitorPath, timeoutMs, exitedAlready).catch(async (e: Error) => {
    await kill();
    throw new QemuBoardError(spawnError ? `cannot start it (apt install qemu-system-arm u-boot-qemu): ${spawnError.message}` : `monitor: ${e.message}`, output);
  });
  return {
    pty,
    pid: child.pid!,
    async reset() {
      await monitor.command('system_reset');
      await monitor.command('cont');
    },
    async close() {
      monitor.socket.destroy();
      await kill();
    },
  };
}

/** The monitor's socket appears a moment after QEMU starts: tried again until it answers, QEMU exits or time is up. */
async function connectSocket(path: string, timeoutMs: number, exited: () => boolean): Promise<Socket> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await new Promise<Socket>((resolve, reject) => {
        const s = createConnection(path);
        s.once('connect', () => resolve(s));
        s.once('error', reject);
      });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (exited() || Date.now() > deadline || (code !== 'ENOENT' && code !== 'ECONNREFUSED')) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** QEMU's human monitor: one command at a time, each answered by its next prompt. */
async function connectMonitor(path: string, timeoutMs: number, exited: () => boolean) {
  const socket = await connectSocket(path, timeoutMs, exited);
  let text = '';
  let waiter: (() => void) | undefined;
  // QEMU gone mid-command: the command's wait says so instead of an unhandled 'error' event.
  let broken: Error | undefined;
  socket.on('error', (e) => { broken = e; waiter?.(); });
  socket.on('data', (d: Buffer) => { text += d.toString('latin1'); waiter?.(); });
  const untilPrompt = (what: string) => new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { waiter = undefined; reject(new Error(`no monitor prompt after ${what} within ${timeoutMs} ms`)); }, timeoutMs);
    const check = () => {
      if (broken) {
        clearTimeout(timer);
        waiter = undefined;
        return reject(broken);
      }
      if (!text.endsWith(MONITOR_PROMPT)) return;
      clearTimeout(timer);
      waiter = undefined;
      text = '';
      resolve();
    };
    waiter = check;
    check();
  });
  await untilPrompt('connecting');
  return {
    socket,
    async command(line: string) {
      socket.write(`${line}\n`);
      await untilPrompt(`"${line}"`);
    },
  };
}

/**
 * The simulated board's U-Boot: on power-on it counts down on the console; a key stops the
 * countdown and gives the `=> ` prompt with the few commands flashing needs: `loady` (YMODEM
 * into RAM), `crc32`, `dbi write` (check the image in RAM, as the board's own loader would,
 * and write it into the slot the board does not run from, on trial), `printenv`, `boot`,
 * `reset`. Echo and line editing behave like U-Boot's, so the same host driver works on the
 * real thing with another profile (host/flash/uboot-profile.ts).
 */
import { crc32 } from 'node:zlib';
import { Readable } from 'node:stream';
import type { SerialLink } from '../../platform/hal/serial.ts';
import type { Clock } from '../../platform/clock.ts';
import type { Logger } from '../../platform/log.ts';
import type { FlashSlots } from '../../board/flash/slots.ts';
import { otherSlot, startTrial } from '../../board/flash/boot-env.ts';
import type { PublicKey } from '../../images/format/keys.ts';
import { openImageStream } from '../../images/read-stream.ts';
import { checkPayload } from '../../images/check-payload.ts';
import { ymodemReceive } from '../../images/serial/ymodem-receive.ts';
import { writeFileAtomic } from '../../platform/atomic-file.ts';
import { join } from 'node:path';
import { readLine } from './uboot-line.ts';

export interface UbootSimDeps {
  link: SerialLink;
  clock: Clock;
  bootDelayMs: number;
  slots: FlashSlots;
  keys: readonly PublicKey[];
  boardType: string;
  /** RAM a `loady` may fill. */
  maxLoadBytes: number;
  logger: Logger;
}

const LOAD_ADDR = 0x82000000;
const hex = (n: number) => n.toString(16).padStart(8, '0');

/** Resolves with what the board does next: boot its slot, or start over (`reset`). */
export async function runUboot(deps: UbootSimDeps): Promise<'boot' | 'reset'> {
  const { link, clock } = deps;
  const say = (text: string) => link.write(text.replace(/\n/g, '\r\n'));
  await say('\nU-Boot 2024.01-deskbox (simulated)\n\nDRAM:  512 MiB\n');
  if (!(await countdown(deps))) return 'boot';
  let ram = Buffer.alloc(0);
  const env: Record<string, string> = { loadaddr: hex(LOAD_ADDR), bootdelay: String(Math.round(deps.bootDelayMs / 1000)) };
  for (;;) {
    await say('=> ');
    const line = await readLine(link);
    const [cmd = '', ...args] = line.trim().split(/\s+/);
    try {
      if (cmd === '') continue;
      if (cmd === 'boot' || cmd === 'reset') {
        await say(cmd === 'reset' ? 'resetting ...\n' : '');
        return cmd;
      }
      if (cmd === 'loady') {
        await say(`## Ready for binary (ymodem) download to 0x${hex(LOAD_ADDR)} at 115200 bps...\n`);
        const parts: Buffer[] = [];
        const got = await ymodemReceive(link, { open: async () => {}, write: async (c) => { parts.push(c); } }, { clock, maxBytes: deps.maxLoadBytes, timeoutMs: 3000 });
        ram = Buffer.concat(parts);
        env.filesize = ram.length.toString(16);
        await say(`## Total Size      = 0x${hex(got.size)} = ${got.size} Bytes\n`);
      } else if (cmd === 'crc32') {
        const len = parseInt(args[1] ?? '', 16);
        if (!(len >= 0 && len <= ram.length)) throw new Error(`crc32: length ${args[1] ?? '(none)'} is beyond what was loaded (${ram.length.toString(16)})`);
        await say(`crc32 for ${hex(LOAD_ADDR)} ... ${hex(LOAD_ADDR + len - 1)} ==> ${hex(crc32(ram.subarray(0, len)))}\n`);
      } else if (cmd === 'dbi' && args[0] === 'write') {
        await say(`${await writeSlot(deps, ram.subarray(0, parseInt(args[2] ?? '', 16) || ram.length))}\n`);
      } else if (cmd === 'printenv') {
        await say(Object.entries(env).map(([k, v]) => `${k}=${v}\n`).join(''));
      } else if (cmd === 'setenv' && args[0]) {
        env[args[0]] = args.slice(1).join(' ');
      } else if (cmd === 'help') {
        await say('boot     - boot the active slot\ncrc32    - checksum memory\ndbi      - dbi write <addr> <size>: check a deskbox image in memory and write it to the other slot\nloady    - load binary file over serial line (ymodem mode)\nprintenv - print environment variables\nreset    - reset the board\nsetenv   - set environment variables\n');
      } else {
        await say(`Unknown command '${cmd}' - try 'help'\n`);
      }
    } catch (e) {
      await say(`${(e as Error).message}\n`);
    }
  }
}

/** True if a key arrived before the countdown ran out. */
async function countdown(deps: UbootSimDeps): Promise<boolean> {
  const { link, clock } = deps;
  const seconds = Math.max(0, Math.ceil(deps.bootDelayMs / 1000));
  return new Promise<boolean>((resolve) => {
    let left = seconds;
    let timer: ReturnType<Clock['setTimeout']> | undefined;
    const off = link.onData(() => finish(true));
    const finish = (stopped: boolean) => {
      off();
      if (timer) clock.clearTimeout(timer);
      void link.write(stopped ? '\r\n' : '\b\b\b 0 \r\n').then(() => resolve(stopped), () => resolve(stopped));
    };
    const tick = () => {
      if (left <= 0) return finish(false);
      void link.write(`${left === seconds ? 'Hit any key to stop autoboot: ' : '\b\b\b'}${String(left).padStart(2)} `);
      left--;
      timer = clock.setTimeout(tick, Math.min(1000, deps.bootDelayMs));
    };
    tick();
  });
}

/** `dbi write`: the image must pass every check before a slot is touched. */
async function writeSlot(deps: UbootSimDeps, image: Buffer): Promise<string> {
  const name = 'dbi: memory';
  try {
    const opened = await openImageStream(Readable.from([image]), { name, keys: deps.keys, fileSize: image.length });
    const m = opened.head.manifest;
    if (m.kind !== 'board' || m.board?.type !== deps.boardType) {
      opened.payload.destroy();
      return `dbi: refused: not a board image for board type "${deps.boardType}"`;
    }
    await checkPayload(opened, { name, keys: deps.keys, boardType: deps.boardType });
    const env = await deps.slots.readEnv().catch(() => undefined);
    const slot = env ? otherSlot(env.active) : 'a';
    const staged = join(deps.slots.dir, 'staging-uboot.dbi');
    await writeFileAtomic(staged, image, { durable: true });
    await deps.slots.adopt(slot, staged);
    await deps.slots.writeEnv(startTrial(slot));
    return `dbi: slot ${slot} written (${m.name} ${m.version}); it boots next, on trial`;
  } catch (e) {
    return `dbi: refused: ${(e as Error).message}`;
  }
}

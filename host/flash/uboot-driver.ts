/**
 * Flashing through U-Boot, for boards whose agent is not running (new, or broken): reach the
 * prompt (already there, or reset and stop the countdown), `loady` the image by YMODEM, have
 * U-Boot checksum what it received and compare it with ours, run the profile's write commands
 * and check their output, then reset. Every wait has a deadline and says what the board printed
 * last when it runs out; a crash or a reset of U-Boot on the way ends the flash at once.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { crc32 } from '../../images/format/crc32.ts';
import type { SerialLink } from '../../platform/hal/serial.ts';
import type { Clock } from '../../platform/clock.ts';
import { ymodemSend } from '../../images/serial/ymodem-send.ts';
import { fillCommand, promptPattern, type UbootProfile } from './uboot-profile.ts';
import { checkImageFits, describeRam, ramWindow, UbootProfileError } from './uboot-ram.ts';
import { ConsoleTimeout, watchConsole } from './console-watch.ts';
import { reachUbootPrompt } from './uboot-prompt.ts';
import { watchUpsets, type UbootUpset } from './uboot-upsets.ts';
import { FlashFailure, type FlashPhase } from './flash-failure.ts';

export interface UbootFlashOptions {
  link: SerialLink;
  imageFile: string;
  profile: UbootProfile;
  clock: Clock;
  /** Power-cycles the board (the simulated desk can); without it a person resets it. */
  resetBoard?: () => Promise<void>;
  /** Without resetBoard: tell the person to reset the board now (the wait for its countdown starts). */
  onResetNeeded?(waitMs: number): void;
  onProgress?(p: { phase: FlashPhase; imageBytes: number; imageBytesDone: number }): void;
  signal?: AbortSignal;
}

export interface UbootFlashReport {
  /** 'prompt': U-Boot already sat at its prompt; 'countdown': the board was reset and stopped. */
  reached: 'prompt' | 'countdown';
  /** From `loady` typed to U-Boot's prompt after the transfer. */
  transferMs: number;
  /** YMODEM blocks (or EOTs) sent again. */
  retries: number;
}

/** Time for a receiver that does send 'C' after block 0 to be heard before block 1 goes unasked. */
const DATA_REQUEST_MS = 300;

async function fileCrc32(file: string): Promise<number> {
  let crc = 0;
  for await (const chunk of createReadStream(file)) crc = crc32(chunk as Buffer, crc);
  return crc;
}

/** A crash says the load address (or the profile) is wrong, and a retry would crash again. */
function upsetFailure(u: UbootUpset, phase: FlashPhase, doing: string, p: UbootProfile): FlashFailure {
  const printed = `; the board printed:\n  ${u.lines.join('\n  ')}`;
  if (u.kind === 'crash') {
    return new FlashFailure('crashed', phase, `U-Boot crashed ("${u.signature}") during ${doing}: profile "${p.name}" loads at ${p.loadAddr} in RAM ${describeRam(ramWindow(p))}; that load address is probably wrong for this board (not in its RAM, or over U-Boot itself): check it against U-Boot's \`bdinfo\` and \`printenv loadaddr\`${printed}`);
  }
  return new FlashFailure('reset', phase, `the board reset during ${doing} (it printed "${u.signature}")${printed}`);
}

export async function flashViaUboot(o: UbootFlashOptions): Promise<UbootFlashReport> {
  const { profile: p, link, clock } = o;
  const size = (await stat(o.imageFile)).size;
  try {
    checkImageFits(p, size);
  } catch (e) {
    if (e instanceof UbootProfileError) throw new FlashFailure('profile', 'hello', e.message);
    throw e;
  }
  const progress = (phase: FlashPhase, done: number) => o.onProgress?.({ phase, imageBytes: size, imageBytesDone: done });
  const con = watchConsole(link, clock);
  const prompt = promptPattern(p);
  try {
    progress('hello', 0);
    const reached = await reachUbootPrompt({ link, console: con, profile: p, resetBoard: o.resetBoard, onResetNeeded: o.onResetNeeded });
    const upsets = watchUpsets(link, clock);
    // A step that fails because U-Boot crashed or reset fails as that, with its words; one
    // whose answer never came, as a timeout of its phase.
    const guarded = async <T>(phase: FlashPhase, doing: string, step: () => Promise<T>): Promise<T> => {
      try {
        return await step();
      } catch (e) {
        if (upsets.signal.aborted) throw upsetFailure(await upsets.describe(), phase, doing, p);
        if (e instanceof ConsoleTimeout) throw new FlashFailure('timeout', phase, e.message);
        throw e;
      }
    };
    const command = (line: string) => guarded('commit', `"${line}"`, async () => {
      con.clear();
      await link.write(`${line}\r`);
      const out = await con.waitFor(prompt, `prompt after "${line}"`, p.commandTimeoutMs, upsets.signal);
      return out.input.slice(0, out.index);
    });
    try {
      const vars = { loadaddr: p.loadAddr, filesize: size };
      const load = fillCommand(p.load, vars);
      const transfer = await guarded('blocks', `"${load}" and the YMODEM transfer`, async () => {
        const loadStarted = clock.monotonic();
        con.clear();
        await link.write(`${load}\r`);
        progress('blocks', 0);
        const signal = o.signal ? AbortSignal.any([o.signal, upsets.signal]) : upsets.signal;
        const sent = await ymodemSend(link, { name: basename(o.imageFile), size, data: createReadStream(o.imageFile, { highWaterMark: 64 * 1024 }) as AsyncIterable<Buffer> }, {
          // U-Boot's loady takes block 1 right after block 0's ACK, but asks for it ('C') only
          // after its own 2 s timeout: waiting for that would add 2 s to every flash.
          clock, signal, dataRequestMs: DATA_REQUEST_MS, onProgress: (n) => progress('blocks', n),
        }).catch((e: Error) => { throw new FlashFailure(o.signal?.aborted ? 'aborted' : 'transfer', 'blocks', e.message); });
        await con.waitFor(prompt, 'prompt after the YMODEM transfer', 10_000, upsets.signal);
        return { transferMs: clock.monotonic() - loadStarted, retries: sent.retries };
      });
      progress('commit', size);
      const check = await command(fillCommand(p.check, vars));
      const theirs = new RegExp(p.checkResult).exec(check)?.[1];
      const ours = (await fileCrc32(o.imageFile)).toString(16).padStart(8, '0');
      if (theirs?.toLowerCase() !== ours) throw new FlashFailure('check', 'commit', `U-Boot's CRC-32 is ${theirs ?? '(not found in its output)'}, the image's is ${ours}`);
      let written = '';
      for (const w of p.write) written += await command(fillCommand(w, vars));
      if (!new RegExp(p.writeOk).test(written)) throw new FlashFailure('refused', 'commit', `the write did not succeed: ${written.trim().split('\n').pop() ?? '(no output)'}`);
      await link.write(`${p.reset}\r`);
      return { reached, ...transfer };
    } finally {
      upsets.close();
    }
  } finally {
    con.close();
  }
}

/**
 * Flashing through U-Boot, for boards whose agent is not running (new, or broken): catch the
 * autoboot countdown after the board is reset, stop it, `loady` the image by YMODEM, have
 * U-Boot checksum what it received and compare it with ours, run the profile's write
 * commands and check their output, then reset. Every wait has a deadline and says what the
 * board printed last when it runs out.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { crc32 } from '../../images/format/crc32.ts';
import type { SerialLink } from '../../board/hal/serial/binding.ts';
import type { Clock } from '../../board/runtime/clock.ts';
import { ymodemSend } from '../../images/serial/ymodem-send.ts';
import { fillCommand, type UbootProfile } from './uboot-profile.ts';
import { watchConsole } from './console-watch.ts';
import { FlashFailure, type FlashPhase } from './flash-failure.ts';

export interface UbootFlashOptions {
  link: SerialLink;
  imageFile: string;
  profile: UbootProfile;
  clock: Clock;
  /** Power-cycles the board (the simulated desk can); without it the user resets it by hand. */
  resetBoard?: () => Promise<void>;
  onProgress?(p: { phase: FlashPhase; imageBytes: number; imageBytesDone: number }): void;
  /** Every byte the board prints, for its console log. */
  onOutput?(chunk: Buffer): void;
  signal?: AbortSignal;
}

async function fileCrc32(file: string): Promise<number> {
  let crc = 0;
  for await (const chunk of createReadStream(file)) crc = crc32(chunk as Buffer, crc);
  return crc;
}

export async function flashViaUboot(o: UbootFlashOptions): Promise<{ bytes: number; ms: number; written: string }> {
  const started = o.clock.monotonic();
  const { profile: p, link, clock } = o;
  const size = (await stat(o.imageFile)).size;
  const progress = (phase: FlashPhase, done: number) => o.onProgress?.({ phase, imageBytes: size, imageBytesDone: done });
  const con = watchConsole(link, clock, o.onOutput);
  // At a line start only: `=> ` also appears inside output such as crc32's `... ==> 1a2b3c4d`.
  const prompt = new RegExp(`(?:^|\\n)${p.prompt.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`);
  const command = async (line: string, timeoutMs = p.commandTimeoutMs) => {
    con.clear();
    await link.write(`${line}\r`);
    const out = await con.waitFor(prompt, `prompt after "${line}"`, timeoutMs);
    return out.input.slice(0, out.index);
  };
  try {
    progress('hello', 0);
    // The countdown is short: the key goes out the moment it shows. The reset itself is not
    // waited for (a desk's power switch answers once the board has booted: after this flash).
    let resetFailed: string | undefined;
    o.resetBoard?.().catch((e: Error) => { resetFailed = e.message; });
    await con.waitFor(p.autobootPrompt, `autoboot countdown ("${p.autobootPrompt}") within ${p.promptTimeoutMs} ms of the reset`, p.promptTimeoutMs)
      .catch((e: Error) => { throw new FlashFailure('no-prompt', 'hello', resetFailed ? `could not reset the board: ${resetFailed}` : e.message); });
    await link.write(p.interruptKey);
    await con.waitFor(prompt, 'U-Boot prompt', 5000).catch((e: Error) => { throw new FlashFailure('no-prompt', 'hello', e.message); });
    const vars = { loadaddr: p.loadAddr, filesize: size };
    con.clear();
    await link.write(`${fillCommand(p.load, vars)}\r`);
    progress('blocks', 0);
    await ymodemSend(link, { name: basename(o.imageFile), size, data: createReadStream(o.imageFile, { highWaterMark: 64 * 1024 }) as AsyncIterable<Buffer> }, {
      clock, signal: o.signal, onProgress: (sent) => progress('blocks', sent),
    }).catch((e: Error) => { throw new FlashFailure('transfer', 'blocks', e.message); });
    await con.waitFor(prompt, 'prompt after the YMODEM transfer', 10_000);
    progress('commit', size);
    const check = await command(fillCommand(p.check, vars));
    const theirs = new RegExp(p.checkResult).exec(check)?.[1];
    const ours = (await fileCrc32(o.imageFile)).toString(16).padStart(8, '0');
    if (theirs?.toLowerCase() !== ours) throw new FlashFailure('check', 'commit', `U-Boot's CRC-32 is ${theirs ?? '(not found in its output)'}, the image's is ${ours}`);
    let written = '';
    for (const w of p.write) written += await command(fillCommand(w, vars));
    if (!new RegExp(p.writeOk).test(written)) throw new FlashFailure('refused', 'commit', `the write did not succeed: ${written.trim().split('\n').pop() ?? '(no output)'}`);
    await link.write(`${p.reset}\r`);
    return { bytes: size, ms: clock.monotonic() - started, written: written.trim() };
  } finally {
    con.close();
  }
}

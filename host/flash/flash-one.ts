/**
 * Flashing one board through its serial port: the agent protocol when an agent answers
 * (fast, resumable, sends only what the board lacks), U-Boot otherwise; retries where a retry
 * can help (a noisy or briefly unplugged line resumes where it stopped), none where it cannot
 * (the board refused the image); then, when the desk's broker is known, waits until the board
 * is back online running the new image.
 */
import { stat } from 'node:fs/promises';
import { serialportBinding } from '../../board/hal/serial/serialport.ts';
import type { Clock } from '../../platform/clock.ts';
import { readImageHead } from '../../images/verify-file.ts';
import { sendImage } from '../../images/serial/sender.ts';
import { FlashError } from '../../images/serial/errors.ts';
import { flashViaUboot, type UbootFlashReport } from './uboot-driver.ts';
import type { UbootProfile } from './uboot-profile.ts';
import { FlashFailure, type FlashPhase } from './flash-failure.ts';
import { lockPort } from './port-lock.ts';
import { observeLink } from './observed-link.ts';

export interface PortTarget {
  /** What the user calls it: a board id, or the port. */
  label: string;
  port: string;
  /** The simulated desk's board on that port: it can be reset and watched over MQTT. */
  board?: string;
}

export type FlashMethod = 'auto' | 'agent' | 'uboot';

export interface Progress { phase: FlashPhase; imageBytes: number; imageBytesDone: number; wireBytes?: number; method: 'agent' | 'uboot' }

export interface FlashOneOptions {
  imageFile: string;
  method: FlashMethod;
  profile: UbootProfile;
  baud: number;
  clock: Clock;
  /** Attempts after the first, for failures a retry can cure. */
  retries: number;
  resetBoard?(t: PortTarget): Promise<void>;
  /** Without resetBoard, U-Boot needs a person to reset the board: now (the countdown is awaited for `waitMs`). */
  onResetNeeded?(t: PortTarget, waitMs: number): void;
  /** Resolves once the board runs `image` after a boot later than `since` (epoch ms). */
  awaitHealth?(t: PortTarget, image: { sha256: string; version: string }, since: number): Promise<void>;
  onProgress?(t: PortTarget, p: Progress): void;
  /** Everything the board prints while its port is open here, for its console log. */
  onOutput?(t: PortTarget, chunk: Buffer): void;
  signal?: AbortSignal;
}

export interface FlashResult {
  label: string;
  port: string;
  ok: boolean;
  method?: 'agent' | 'uboot';
  error?: { code: string; phase: FlashPhase; message: string };
  /** How the U-Boot path went, when it succeeded. */
  uboot?: UbootFlashReport;
  imageBytes: number;
  /** Every byte written to the port, all attempts: protocol framing, retransmissions and commands included. */
  wireBytes: number;
  attempts: number;
  ms: number;
}

/** A crash at the profile's load address, or an image too big for it, would only happen again. */
const RETRYABLE = new Set(['timeout', 'link', 'transfer', 'check', 'no-prompt', 'reset']);

function asFailure(e: unknown): FlashFailure {
  if (e instanceof FlashFailure) return e;
  if (e instanceof FlashError) return new FlashFailure(e.code === 'no-answer' ? 'no-answer' : e.code === 'refused' ? 'refused' : e.code === 'aborted' ? 'aborted' : e.code === 'link' ? 'link' : 'timeout', 'blocks', e.message);
  return new FlashFailure('link', 'hello', (e as Error).message);
}

export async function flashOne(t: PortTarget, o: FlashOneOptions): Promise<FlashResult> {
  const started = o.clock.monotonic();
  const imageBytes = (await stat(o.imageFile)).size;
  const result: FlashResult = { label: t.label, port: t.port, ok: false, imageBytes, wireBytes: 0, attempts: 0, ms: 0 };
  let unlock: (() => Promise<void>) | undefined;
  try {
    const manifest = (await readImageHead(o.imageFile)).manifest;
    const since = Date.now();
    unlock = await lockPort(t.port);
    const port = await serialportBinding().open(t.port, { baudRate: o.baud }).catch((e: Error) => { throw new FlashFailure('link', 'hello', e.message); });
    const link = observeLink(port, o.onOutput && ((c) => o.onOutput!(t, c)));
    try {
      let useUboot = o.method === 'uboot';
      for (;;) {
        result.attempts++;
        // Set before the attempt, so a failure says which way in failed.
        result.method = useUboot ? 'uboot' : 'agent';
        try {
          if (!useUboot) {
            await sendImage({
              link, imageFile: o.imageFile, clock: o.clock, lineRate: o.baud / 10, signal: o.signal,
              onProgress: (p) => o.onProgress?.(t, { ...p, method: 'agent' }),
            });
          } else {
            result.uboot = await flashViaUboot({
              link, imageFile: o.imageFile, profile: o.profile, clock: o.clock, signal: o.signal,
              resetBoard: o.resetBoard && (() => o.resetBoard!(t)),
              onResetNeeded: (waitMs) => o.onResetNeeded?.(t, waitMs),
              onProgress: (p) => o.onProgress?.(t, { ...p, method: 'uboot' }),
            });
          }
          break;
        } catch (e) {
          const f = asFailure(e);
          if (f.code === 'no-answer' && o.method === 'auto' && !useUboot) { useUboot = true; continue; }
          if (!RETRYABLE.has(f.code) || result.attempts > o.retries) throw f;
        }
      }
    } finally {
      result.wireBytes = link.written;
      await link.close();
    }
    if (o.awaitHealth) {
      o.onProgress?.(t, { phase: 'health', imageBytes, imageBytesDone: imageBytes, method: result.method! });
      await o.awaitHealth(t, { sha256: manifest.payload.sha256, version: manifest.version }, since).catch((e: Error) => { throw new FlashFailure('health', 'health', e.message); });
    }
    result.ok = true;
  } catch (e) {
    const f = asFailure(e);
    result.error = { code: f.code, phase: f.phase, message: f.message };
  } finally {
    await unlock?.();
    result.ms = o.clock.monotonic() - started;
  }
  return result;
}

/**
 * Getting to U-Boot's prompt: a board may already sit there (a person stopped it, or an
 * earlier flash left it), so a bare Enter is tried first; otherwise the board is reset (by the
 * desk's power switch, or by a person who is asked to) and its autoboot countdown is stopped
 * the moment it shows.
 */
import type { SerialLink } from '../../platform/hal/serial.ts';
import { promptPattern, type UbootProfile } from './uboot-profile.ts';
import type { watchConsole } from './console-watch.ts';
import { FlashFailure } from './flash-failure.ts';

export interface ReachPromptOptions {
  link: SerialLink;
  console: ReturnType<typeof watchConsole>;
  profile: UbootProfile;
  /** Power-cycles the board (the simulated desk can). */
  resetBoard?: () => Promise<void>;
  /** Without resetBoard: a person must reset the board now; called as the wait for the countdown starts. */
  onResetNeeded?(waitMs: number): void;
}

/** 'prompt': it was already there; 'countdown': it was reset and stopped. */
export async function reachUbootPrompt(o: ReachPromptOptions): Promise<'prompt' | 'countdown'> {
  const { link, console: con, profile: p } = o;
  const prompt = promptPattern(p);
  con.clear();
  await link.write('\r');
  if (await con.waitFor(prompt, 'U-Boot prompt', p.promptProbeMs).then(() => true, () => false)) return 'prompt';
  // The countdown is short: the key goes out the moment it shows. The reset itself is not
  // waited for (a desk's power switch answers once the board has booted: after this flash).
  let resetFailed: string | undefined;
  if (o.resetBoard) o.resetBoard().catch((e: Error) => { resetFailed = e.message; });
  else o.onResetNeeded?.(p.promptTimeoutMs);
  const within = `within ${p.promptTimeoutMs} ms of ${o.resetBoard ? 'the reset' : 'asking for a reset'}`;
  await con.waitFor(p.autobootPrompt, `autoboot countdown ("${p.autobootPrompt}") ${within}`, p.promptTimeoutMs)
    .catch((e: Error) => { throw new FlashFailure('no-prompt', 'hello', resetFailed ? `could not reset the board: ${resetFailed}` : e.message); });
  await link.write(p.interruptKey);
  await con.waitFor(prompt, 'U-Boot prompt', 5000).catch((e: Error) => { throw new FlashFailure('no-prompt', 'hello', e.message); });
  return 'countdown';
}

/**
 * A QEMU board's boot phases as its serial console shows them, each stamped when its line first
 * arrives: U-Boot's banner, U-Boot handing over to the kernel, the initramfs's init, the
 * system's init, the boot program, and the agent's banner. Feed it every console chunk.
 */
export const CONSOLE_PHASES = [
  { phase: 'uboot', line: /U-Boot 20\d\d\.\d\d/ },
  { phase: 'kernel', line: /Starting kernel \.\.\./ },
  { phase: 'initramfs', line: /deskbox-init: initramfs at/ },
  { phase: 'system', line: /deskbox-init: system at/ },
  { phase: 'boot-program', line: /deskbox boot \(board [^)]+\)/ },
  { phase: 'agent', line: /deskbox agent \S+ on \S+/ },
] as const;

export type ConsolePhase = (typeof CONSOLE_PHASES)[number]['phase'];

export interface ConsolePhaseWatch {
  feed(chunk: Buffer | string): void;
  /** Milliseconds (performance.now()) when each phase's line arrived, in boot order. */
  seen(): Partial<Record<ConsolePhase, number>>;
  /** The console's text so far (the last `keep` characters). */
  text(): string;
}

export function watchConsolePhases(now: () => number = () => performance.now(), keep = 200_000): ConsolePhaseWatch {
  const seen: Partial<Record<ConsolePhase, number>> = {};
  let text = '';
  // Only text since the last phase found is searched: phases come in order, and U-Boot's banner
  // printed again by a reset must not count as this boot's.
  let from = 0;
  return {
    feed(chunk) {
      text += typeof chunk === 'string' ? chunk : chunk.toString('latin1');
      for (const p of CONSOLE_PHASES) {
        if (seen[p.phase] !== undefined) continue;
        const m = p.line.exec(text.slice(from));
        if (!m) break;
        seen[p.phase] = now();
        from += m.index + m[0].length;
      }
      if (text.length > keep) {
        const cut = text.length - keep;
        text = text.slice(cut);
        from = Math.max(0, from - cut);
      }
    },
    seen: () => ({ ...seen }),
    text: () => text,
  };
}

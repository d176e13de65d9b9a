/**
 * The `guest-launch` self-check: one throwaway guest started from an installed image with the
 * board's runtime, seen alive, and stopped. It is no guest of the desk's (the supervisor never
 * sees it; an agent that dies mid-check leaves it for the next agent's adoption, which stops
 * guests nobody wants) and it costs one launch every check period.
 */
import type { HealthCheck } from '../ops/health-check.ts';

export interface LaunchProbe {
  /** Starts, confirms and stops one probe guest of `image`; throws with the runtime's words. */
  launch(image: string): Promise<{ ms: number; runtime: string }>;
}

/** `image`: an installed image to launch, or undefined (the check then says so and fails). */
export function guestLaunchCheck(probe: () => Promise<LaunchProbe | undefined>, image: () => string | undefined): HealthCheck {
  return {
    name: 'guest-launch',
    async run() {
      const p = await probe();
      if (!p) return { ok: false, detail: 'the guests service did not open (see the board\'s log)' };
      const name = image();
      if (!name) return { ok: false, detail: 'no image installed to launch a guest from' };
      const { ms, runtime } = await p.launch(name);
      return { ok: true, detail: `a ${name} guest started and stopped with ${runtime} in ${Math.round(ms)} ms` };
    },
  };
}

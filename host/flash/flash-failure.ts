/** Why a flash failed, in words a user can act on, with the phase it stopped in. */
export type FlashPhase = 'hello' | 'head' | 'blocks' | 'commit' | 'health';

/**
 * profile: the U-Boot profile cannot take this image (it does not fit in RAM from loadAddr);
 * crashed: U-Boot crashed while loading or writing (a wrong load address, most likely);
 * reset: the board reset in the middle (a person, a watchdog, a power glitch).
 */
export type FlashFailureCode = 'no-prompt' | 'no-answer' | 'transfer' | 'check' | 'refused' | 'timeout' | 'link' | 'busy' | 'health' | 'aborted' | 'profile' | 'crashed' | 'reset';

export class FlashFailure extends Error {
  constructor(readonly code: FlashFailureCode, readonly phase: FlashPhase, detail: string) {
    super(detail);
    this.name = 'FlashFailure';
  }
}

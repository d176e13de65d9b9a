/** Why a flash failed, in words a user can act on, with the phase it stopped in. */
export type FlashPhase = 'hello' | 'head' | 'blocks' | 'commit' | 'health';

export type FlashFailureCode = 'no-prompt' | 'no-answer' | 'transfer' | 'check' | 'refused' | 'timeout' | 'link' | 'busy' | 'health' | 'aborted';

export class FlashFailure extends Error {
  constructor(readonly code: FlashFailureCode, readonly phase: FlashPhase, detail: string) {
    super(detail);
    this.name = 'FlashFailure';
  }
}

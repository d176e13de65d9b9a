import type { ErrorCode } from '../../broker/contract/payloads.ts';

/** A command that cannot be honoured, with the reply code that tells the caller why. */
export class CommandError extends Error {
  constructor(readonly code: ErrorCode, message: string) {
    super(message);
    this.name = 'CommandError';
  }
}

/**
 * How a flash over the console fails, as the host sees it. The code tells a caller (or a
 * person) what to do next: no-answer (no agent on that port: wrong port, board not booted),
 * refused (the board said no, with its reason), timeout (it stopped answering mid-way: retry
 * resumes), link (the port itself failed: unplugged adapter), aborted (we were told to stop),
 * protocol (the board answered something no v1 board sends).
 */
import type { ErrorCode } from './messages.ts';

export type FlashErrorCode = 'no-answer' | 'refused' | 'timeout' | 'link' | 'aborted' | 'protocol';

export class FlashError extends Error {
  override readonly name = 'FlashError';
  constructor(
    readonly code: FlashErrorCode,
    /** The port (link path) or image the failure concerns. */
    readonly where: string,
    readonly detail: string,
    options?: { cause?: unknown; boardCode?: ErrorCode },
  ) {
    super(`flashing over ${where}: ${code}: ${detail}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.boardCode = options?.boardCode;
  }

  /** The board's ERROR code, when the board sent one. */
  readonly boardCode: ErrorCode | undefined;
}

export function isFlashError(e: unknown): e is FlashError {
  return e instanceof FlashError;
}

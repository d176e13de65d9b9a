/**
 * What a board's flash receiver accepts, and the defaults: sized for a 512 MB Cortex-A8 that
 * hosts guests while it flashes, so buffering stays a few blocks whatever the image size.
 */
export interface ReceiverLimits {
  /** Payload bytes the board buffers between the line and its storage (default 256 KiB). */
  windowBytes: number;
  /** Largest chunk the board accepts (default 8192). */
  maxChunk: number;
  /** Largest head (header + manifest + signature) accepted (default 8 MiB). */
  maxHeadBytes: number;
  /** Nothing from the host for this long ends the session (default 20000). */
  silenceMs: number;
}

export const DEFAULT_RECEIVER_LIMITS: ReceiverLimits = { windowBytes: 256 * 1024, maxChunk: 8192, maxHeadBytes: 8 * 1024 * 1024, silenceMs: 20_000 };

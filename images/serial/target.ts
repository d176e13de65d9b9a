/**
 * What the flash receiver needs from the board's storage. The receiver owns the protocol
 * (framing, windows, reassembly, hashes); the target owns where blocks go, what a resumed
 * session already has, and what the board boots next. Kept apart so the storage can be
 * tested without a serial line and the protocol without flash.
 */

/** What a HELLO announces: enough to open the right staging area before any byte of the image. */
export interface HelloInfo {
  /** The host's session id (a restart after an interruption has a new one). */
  session: number;
  /** Lower-case hex SHA-256 of the payload: the image's identity, for resuming. */
  payloadSha256: string;
  /** Bytes of header + manifest + signature (32 + M + S). */
  headLength: number;
  payloadSize: number;
}

export interface FlashTarget {
  /**
   * Head bytes (header+manifest+signature) complete: check them (signature, board type,
   * sizes); throw to refuse (the message goes to the host in ERROR). Returns the payload block
   * indexes the board still needs (all others: empty, already staged by an earlier session,
   * or copied from a block with the same hash it holds).
   */
  prepare(head: Buffer): Promise<{ need: number[] }>;
  /** One payload block, whole and already checked against its manifest hash by the receiver. */
  writeBlock(index: number, data: Buffer): Promise<void>;
  /** All needed blocks are in: verify the whole image, make it the next boot; what it will boot. */
  commit(): Promise<{ slot: string; version: string }>;
  /** Session over without commit (error, abort, link gone): keep what is staged for a resume. */
  abandon(): Promise<void>;
}

import type { SerialLink } from '../../platform/hal/serial.ts';
import type { Clock } from '../../platform/clock.ts';
import {
  ACK, CAN, CPMEOF, DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT_MS, EOT, NAK, WANT_CRC, YmodemError,
  asYmodemError, cancelPeer, encodeBlock, encodeFileInfo, ymodemReader, type YmodemPlace,
} from './ymodem-wire.ts';

export { YmodemError } from './ymodem-wire.ts';

export interface YmodemSendFile {
  /** Sent as the pathname in block 0; the receiver decides what to call the file. */
  name: string;
  size: number;
  data: AsyncIterable<Buffer> | Buffer;
}

export interface YmodemSendOptions {
  clock: Clock;
  /**
   * How long to wait for each answer before sending again (10 s by default). YMODEM is driven by
   * the receiver's timeouts: keep this longer than the receiver's, or both ends may resend at once.
   */
  timeoutMs?: number;
  /** Resends of one block (on NAK or silence) before giving up. */
  maxRetries?: number;
  /**
   * How long to wait for the receiver's 'C' after block 0's ACK before sending the first data
   * block unasked; a 'C' that comes later asks for that block again. U-Boot's `loady` never
   * sends this 'C' in time: it waits for block 1 and asks only when its 2 s timeout runs out.
   * Unset: wait for the 'C', as the protocol says.
   */
  dataRequestMs?: number;
  onProgress?(sent: number, total: number): void;
  signal?: AbortSignal;
}

/** Unanswered sends of the end-of-batch block before the receiver is taken to have left. */
const LAST_BLOCK_SILENCES = 3;

/** `blocks` counts data blocks acknowledged; `retries` every resend of a block or EOT. */
export interface YmodemSendResult { bytes: number; blocks: number; retries: number; ms: number }

/**
 * Sends one file as a YMODEM batch: block 0 with name and size, 1K blocks (a 128-byte one for a
 * short tail), CRC-16 only (a receiver that asks for checksums never gets an answer), EOT, and
 * the null block 0 that ends the batch.
 */
export async function ymodemSend(link: SerialLink, file: YmodemSendFile, opts: YmodemSendOptions): Promise<YmodemSendResult> {
  const { clock, timeoutMs = DEFAULT_TIMEOUT_MS, maxRetries = DEFAULT_MAX_RETRIES } = opts;
  const where: YmodemPlace = { role: 'send', path: link.path, file: file.name };
  if (Buffer.isBuffer(file.data) && file.data.length !== file.size) {
    throw new YmodemError('data', `data has ${file.data.length} bytes, size says ${file.size}`, where);
  }
  const header = encodeFileInfo(file.name, file.size, where);
  const source = blockSource(file.data);
  const reader = ymodemReader(clock, link, where, opts.signal);
  const started = clock.monotonic();
  let retries = 0;

  /** Waits for one of `wanted`, skipping noise; CAN CAN from the receiver ends everything. */
  const reply = async (wanted: readonly number[], waitMs = timeoutMs): Promise<number | undefined> => {
    const end = clock.monotonic() + waitMs;
    let cans = 0;
    for (;;) {
      const b = await reader.byte(end - clock.monotonic());
      if (b === undefined) return undefined;
      cans = b === CAN ? cans + 1 : 0;
      if (cans >= 2) throw new YmodemError('cancelled', 'cancelled by receiver', where);
      if (wanted.includes(b)) return b;
    }
  };
  /**
   * Sends until ACKed. The first `expectedNaks` NAKs are the protocol's, not errors. For the
   * batch's last block a 'C' means the receiver still waits for it, and a few silences that
   * it left: it has acknowledged every byte and the EOT already. For a block sent `unasked`,
   * a 'C' is the receiver's late request for it.
   */
  const deliver = async (packet: Buffer, block: number, what: string, { expectedNaks = 0, last = false, data = false, unasked = false } = {}): Promise<void> => {
    where.block = block;
    for (let tries = 0, silences = 0; ; tries++) {
      if (tries > maxRetries + expectedNaks) throw new YmodemError('timeout', `no ACK for ${what} after ${tries} tries`, where);
      if (tries > expectedNaks) retries++;
      reader.purge();
      await link.write(packet);
      const answer = await reply(last || unasked ? [ACK, NAK, WANT_CRC] : [ACK, NAK]);
      // A block sent twice may be ACKed twice; the second ACK must not pass for the next
      // block's. Nothing else is due from the receiver after a data block's ACK.
      if (answer === ACK && data && tries > 0) await reader.settle(Math.min(timeoutMs / 4, 1000));
      if (answer === ACK || (answer === undefined && last && ++silences >= LAST_BLOCK_SILENCES)) return;
    }
  };
  /** The receiver's 'C' starts each file and the data of each file; waiting for it resends nothing. */
  const request = async (what: string): Promise<void> => {
    for (let waits = 0; (await reply([WANT_CRC])) === undefined; waits++) {
      if (waits >= maxRetries) throw new YmodemError('timeout', `receiver never asked for ${what} ('C')`, where);
    }
  };
  /** False when `dataRequestMs` passed without the 'C' for the data: block 1 then goes unasked. */
  const dataRequested = async (): Promise<boolean> => {
    if (opts.dataRequestMs === undefined) return (await request('data'), true);
    return (await reply([WANT_CRC], opts.dataRequestMs)) !== undefined;
  };

  try {
    await request('block 0');
    await deliver(header, 0, 'block 0');
    let unasked = !(await dataRequested());
    let sent = 0;
    let blocks = 0;
    while (sent < file.size) {
      where.block = blocks + 1;
      const remaining = file.size - sent;
      const size = remaining > 128 ? 1024 : 128;
      const payload = await source.read(Math.min(size, remaining));
      if (payload.length < Math.min(size, remaining)) throw new YmodemError('data', `data ended after ${sent + payload.length} of ${file.size} bytes`, where);
      await deliver(encodeBlock(blocks + 1, payload, size, CPMEOF), blocks + 1, `block ${blocks + 1}`, { data: true, unasked });
      unasked = false;
      sent += payload.length;
      blocks++;
      opts.onProgress?.(sent, file.size);
    }
    if (await source.more()) throw new YmodemError('data', `data is longer than the declared ${file.size} bytes`, where);
    // The spec's receiver NAKs the first EOT to be sure it was no line noise.
    await deliver(Buffer.of(EOT), blocks + 1, 'EOT', { expectedNaks: 1 });
    await request('the next file');
    // lrzsz's rb over a pty often exits before its ACK of this block gets out.
    await deliver(encodeBlock(0, Buffer.alloc(0), 128, 0), 0, 'end of batch', { last: true });
    return { bytes: sent, blocks, retries, ms: clock.monotonic() - started };
  } catch (e) {
    const err = asYmodemError(e, where);
    if (err.code !== 'cancelled') await cancelPeer(link, clock, 1000);
    throw err;
  } finally {
    reader.close();
    await source.close();
  }
}

/** Fixed-size reads from a buffer, or from a stream that yields chunks of any size. */
function blockSource(data: AsyncIterable<Buffer> | Buffer) {
  const chunks = Buffer.isBuffer(data) ? (async function* () { yield data; })() : data[Symbol.asyncIterator]();
  let held: Buffer = Buffer.alloc(0);
  let ended = false;
  const fill = async (n: number) => {
    while (!ended && held.length < n) {
      const next = await chunks.next();
      if (next.done) ended = true;
      else held = held.length ? Buffer.concat([held, next.value]) : next.value;
    }
  };
  return {
    async read(n: number) {
      await fill(n);
      const out = held.subarray(0, n);
      held = held.subarray(n);
      return out;
    },
    more: async () => (await fill(1), held.length > 0),
    // Lets a file stream close its descriptor when the transfer stops early.
    close: async () => { if (!ended) await chunks.return?.(); },
  };
}

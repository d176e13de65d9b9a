import type { SerialLink } from '../../platform/hal/serial.ts';
import type { Clock } from '../../platform/clock.ts';
import {
  ACK, DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT_MS, NAK, WANT_CRC, YmodemError, asYmodemError, cancelPeer,
  decodeFileInfo, readPacket as readWire, ymodemReader, type Packet, type YmodemPlace,
} from './ymodem-wire.ts';

export { YmodemError } from './ymodem-wire.ts';

export interface YmodemSink {
  /** Called once block 0 is in; a rejection cancels the transfer (the spec's "cannot open"). */
  open(name: string, size: number): Promise<void>;
  /** Receives the file's bytes in order, exactly once each, padding already cut off. */
  write(chunk: Buffer): Promise<void>;
}

export interface YmodemReceiveOptions {
  clock: Clock;
  /**
   * How long to wait for each block before asking again (the spec's 10 s by default). The
   * receiver's timeouts drive the transfer: keep this shorter than the sender's.
   */
  timeoutMs?: number;
  /** Requests for one block (after silence or damage) before giving up. */
  maxRetries?: number;
  /** Larger files are refused from block 0 on, before any data moves. */
  maxBytes?: number;
  onProgress?(received: number, total: number): void;
  signal?: AbortSignal;
}

export interface YmodemReceiveResult { name: string; size: number; bytes: number; retries: number }

/**
 * Receives one file of a YMODEM batch (CRC-16 only), as lrzsz's `rb` or U-Boot's `loady` do. The
 * file must announce its size in block 0: that is what lets the padding of the last block go.
 */
export async function ymodemReceive(link: SerialLink, sink: YmodemSink, opts: YmodemReceiveOptions): Promise<YmodemReceiveResult> {
  const { clock, timeoutMs = DEFAULT_TIMEOUT_MS, maxRetries = DEFAULT_MAX_RETRIES, maxBytes = Infinity } = opts;
  const where: YmodemPlace = { role: 'receive', path: link.path, block: 0 };
  const reader = ymodemReader(clock, link, where, opts.signal);
  let retries = 0;

  const readPacket = () => readWire(reader, clock, timeoutMs, where);
  /** One more failed try at the current block: the answer to send, or an error past the limit. */
  let failures = 0;
  const failed = async (packet: Packet | undefined, what: string, silentAsk: number): Promise<number> => {
    if (++failures > maxRetries) {
      const why = packet?.kind === 'bad' ? packet.why : packet?.kind === 'eot' ? 'unexpected EOT' : 'no answer';
      throw new YmodemError('timeout', `gave up waiting for ${what} after ${failures} tries (last: ${why})`, where);
    }
    retries++;
    // Let the rest of a damaged block go by, or it would be read as the start of the next.
    if (packet?.kind === 'bad') await reader.settle(Math.min(100, timeoutMs / 4));
    return packet ? NAK : silentAsk;
  };
  const answer = (...bytes: number[]) => link.write(Buffer.from(bytes));

  try {
    let ask = WANT_CRC;
    let header: Buffer;
    for (let waits = 0; ; ) {
      await answer(ask);
      const packet = await readPacket();
      if (packet?.kind === 'block' && packet.num === 0) { header = packet.data; break; }
      // Until a sender starts, asking again is waiting for it, not a retry.
      if (packet) ask = await failed(packet, 'block 0', WANT_CRC);
      else if (++waits > maxRetries) throw new YmodemError('timeout', `no sender: no block 0 after ${waits} requests`, where);
      else ask = WANT_CRC;
    }
    const { name, size } = decodeFileInfo(header, where);
    where.file = name;
    if (size > maxBytes) throw new YmodemError('refused', `file of ${size} bytes is over the limit of ${maxBytes}`, where);
    await sink.open(name, size);

    failures = 0;
    let expected = 1;
    let bytes = 0;
    let eots = 0;
    ask = WANT_CRC;
    await answer(ACK, WANT_CRC);
    for (;;) {
      where.block = expected;
      const packet = await readPacket();
      if (packet?.kind === 'eot' && bytes === size) {
        // The first EOT might be line noise: a real sender repeats it.
        if (++eots === 1) await answer(NAK);
        else break;
      } else if (packet?.kind === 'block' && packet.num === ((expected - 1) & 0xff)) {
        // Our ACK was lost and the sender repeats the block: it is already written.
        await (expected === 1 ? answer(ACK, WANT_CRC) : answer(ACK));
      } else if (packet?.kind === 'block' && packet.num === (expected & 0xff)) {
        const keep = packet.data.subarray(0, Math.max(0, Math.min(packet.data.length, size - bytes)));
        if (keep.length) await sink.write(Buffer.from(keep));
        bytes += keep.length;
        expected++;
        failures = eots = 0;
        ask = NAK;
        await answer(ACK);
        opts.onProgress?.(bytes, size);
      } else if (packet?.kind === 'block') {
        throw new YmodemError('protocol', `out of step: expected block ${expected & 0xff}, got ${packet.num}`, where);
      } else {
        await answer(await failed(packet, packet?.kind === 'eot' ? `the rest of the file (have ${bytes} of ${size} bytes)` : `block ${expected}`, ask));
      }
    }

    // End of batch: ask for the next pathname; only the null one is welcome. Every byte and
    // the EOT are acknowledged by now, so a sender that stops answering is let go in the end.
    where.block = 0;
    ask = WANT_CRC;
    await answer(ACK);
    for (let asks = 0; asks <= maxRetries; asks++) {
      await answer(ask);
      const packet = await readPacket();
      if (packet?.kind === 'block' && packet.num === 0) {
        if (packet.data[0] !== 0) throw new YmodemError('protocol', 'sender offers a second file; one file per batch is taken', where);
        await answer(ACK);
        break;
      }
      // A repeated EOT means our ACK of it was lost.
      if (packet?.kind === 'eot') await answer(ACK);
      if (packet?.kind === 'bad') await reader.settle(Math.min(100, timeoutMs / 4));
      retries++;
      ask = packet?.kind === 'bad' ? NAK : WANT_CRC;
    }
    return { name, size, bytes, retries };
  } catch (e) {
    const err = asYmodemError(e, where);
    if (err.code !== 'cancelled') await cancelPeer(link, clock, 1000);
    throw err;
  } finally {
    reader.close();
  }
}

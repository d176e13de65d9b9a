/**
 * Consistent Overhead Byte Stuffing (Cheshire and Baker, 1999): rewrites a buffer so it holds
 * no 0x00, at a cost of one byte per 254 plus one. That frees 0x00 to mark frame ends on the
 * console, where the board's text and a person's keystrokes (never NUL) surround the frames,
 * and a receiver that joins mid-stream resynchronises at the next 0x00.
 *
 * Encoded form: groups of [code, code - 1 data bytes]; a code below 0xFF stands for its bytes
 * followed by a zero, except for the last group; 0xFF stands for 254 bytes and no zero.
 */

/** The most bytes `cobsEncode` makes of `n` input bytes. */
export function cobsMaxEncodedLength(n: number): number {
  return n + Math.ceil(n / 254) + 1;
}

export function cobsEncode(input: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(cobsMaxEncodedLength(input.length));
  let codeAt = 0;
  let o = 1;
  let run = 0;
  for (let i = 0; i < input.length; i++) {
    const b = input[i]!;
    if (b === 0) {
      out[codeAt] = run + 1;
      codeAt = o++;
      run = 0;
      continue;
    }
    out[o++] = b;
    if (++run === 254) {
      out[codeAt] = 0xff;
      // A full group at the very end needs no empty group after it: nothing follows.
      if (i === input.length - 1) return out.subarray(0, o);
      codeAt = o++;
      run = 0;
    }
  }
  out[codeAt] = run + 1;
  return out.subarray(0, o);
}

/** The decoded bytes, or undefined when `input` is not a valid encoding (a zero inside, a group cut short). */
export function cobsDecode(input: Uint8Array): Buffer | undefined {
  const out = Buffer.allocUnsafe(input.length);
  let o = 0;
  let i = 0;
  while (i < input.length) {
    const code = input[i++]!;
    if (code === 0) return undefined;
    const end = i + code - 1;
    if (end > input.length) return undefined;
    for (; i < end; i++) {
      const b = input[i]!;
      if (b === 0) return undefined;
      out[o++] = b;
    }
    if (code !== 0xff && i < input.length) out[o++] = 0;
  }
  return out.subarray(0, o);
}

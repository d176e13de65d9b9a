/**
 * Where a U-Boot profile may put an image: the board's RAM as the profile declares it, and the
 * load address inside it. A load address outside RAM does not fail politely: U-Boot's `loady`
 * writes the first block there and takes a data abort (or silently corrupts itself), so both
 * checks happen before any byte goes to the board: the address when the profile is loaded, the
 * image's size when a flash starts.
 */

export class UbootProfileError extends Error {
  constructor(readonly profile: string, readonly detail: string) {
    super(`U-Boot profile "${profile}": ${detail}`);
    this.name = 'UbootProfileError';
  }
}

/** Addresses as U-Boot writes them: hex with 0x. Up to 48 bits stays exact in a JS number. */
export const ADDRESS_PATTERN = /^0x[0-9a-fA-F]{1,12}$/;

export interface RamWindow {
  start: number;
  /** First address past the RAM. */
  end: number;
}

export interface RamDeclaration {
  name: string;
  ram: { start: string; size: string };
  loadAddr: string;
}

const hex = (n: number) => `0x${n.toString(16)}`;
const mib = (n: number) => (n % (1024 * 1024) === 0 ? `${n / (1024 * 1024)} MiB` : `${n} bytes`);

export function describeRam(r: RamWindow): string {
  return `${hex(r.start)}..${hex(r.end - 1)} (${mib(r.end - r.start)})`;
}

export function ramWindow(p: RamDeclaration): RamWindow {
  const start = Number(p.ram.start);
  const size = Number(p.ram.size);
  if (size <= 0) throw new UbootProfileError(p.name, `ram.size ${p.ram.size} must be more than 0`);
  return { start, end: start + size };
}

/** The load address must lie in the declared RAM. */
export function checkLoadAddr(p: RamDeclaration): void {
  const ram = ramWindow(p);
  const load = Number(p.loadAddr);
  if (load < ram.start || load >= ram.end) {
    throw new UbootProfileError(p.name, `loadAddr ${p.loadAddr} lies outside its RAM ${describeRam(ram)}; U-Boot's \`bdinfo\` shows the board's RAM and \`printenv loadaddr\` its usual load address`);
  }
}

/** An image of `bytes` must fit between the load address and the end of RAM. */
export function checkImageFits(p: RamDeclaration, bytes: number): void {
  const ram = ramWindow(p);
  const room = ram.end - Number(p.loadAddr);
  if (bytes > room) {
    throw new UbootProfileError(p.name, `an image of ${bytes} bytes does not fit between loadAddr ${p.loadAddr} and the end of RAM ${hex(ram.end)} (room for ${room} bytes)`);
  }
}

/**
 * The USB serial adapters this computer has: serialport's port list (udev: vendor, product,
 * serial number) joined with the stable links udev makes for them under /dev/serial/by-path
 * and /dev/serial/by-id. A /dev/ttyUSB number changes at every replug; those links do not.
 */
import { readdir, realpath } from 'node:fs/promises';
import { join } from 'node:path';

/** What serialport's list() gives per port (the fields used here). */
export interface ListedPort {
  path: string;
  manufacturer?: string;
  serialNumber?: string;
  vendorId?: string;
  productId?: string;
}

export interface Adapter {
  /** The device node the links lead to (/dev/ttyUSB3), as of now. */
  device: string;
  byPath?: string;
  byId?: string;
  manufacturer?: string;
  vendorId?: string;
  productId?: string;
  serialNumber?: string;
}

export interface AdapterSources {
  /** Where udev keeps its serial links (default /dev/serial). */
  devDir: string;
  /** serialport's list (default: SerialPort.list(), which asks udevadm). */
  list(): Promise<ListedPort[]>;
}

export const defaultAdapterSources = (devDir = '/dev/serial'): AdapterSources => ({
  devDir,
  list: async () => (await import('serialport')).SerialPort.list(),
});

export interface AdapterList {
  adapters: Adapter[];
  /** Why the port list was not read (no udevadm), when it was not: the links are still listed. */
  listProblem?: string;
}

/** Every adapter the port list or the stable links know, once per device, in device order. */
export async function listAdapters(src: AdapterSources): Promise<AdapterList> {
  const byDevice = new Map<string, Adapter>();
  const entry = (device: string) => byDevice.get(device) ?? byDevice.set(device, { device }).get(device)!;
  let listProblem: string | undefined;
  const listed = await src.list().catch((e: Error) => {
    listProblem = `serialport could not list ports (${e.message})${/udevadm/.test(e.message) ? ': is udev installed (apt install udev)?' : ''}`;
    return [] as ListedPort[];
  });
  for (const p of listed) {
    const device = await realpath(p.path).catch(() => p.path);
    Object.assign(entry(device), defined({ manufacturer: p.manufacturer, vendorId: p.vendorId, productId: p.productId, serialNumber: p.serialNumber }));
  }
  for (const kind of ['by-path', 'by-id'] as const) {
    for (const [link, device] of await links(join(src.devDir, kind))) {
      const a = entry(device);
      if (kind === 'by-path') a.byPath ??= link;
      else a.byId ??= link;
    }
  }
  return { adapters: [...byDevice.values()].sort((a, b) => a.device.localeCompare(b.device, undefined, { numeric: true })), ...(listProblem && { listProblem }) };
}

/** The stable path to open an adapter by: by-path (the USB port), else by-id, else the node. */
export const stablePath = (a: Adapter) => a.byPath ?? a.byId ?? a.device;

/** [link, the device it leads to] for each link in `dir` that leads somewhere. */
async function links(dir: string): Promise<Array<[string, string]>> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const found = await Promise.all(names.sort().map(async (n) => {
    const link = join(dir, n);
    const device = await realpath(link).catch(() => undefined);
    return device ? [link, device] as [string, string] : undefined;
  }));
  return found.filter((x) => x !== undefined);
}

function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== '')) as Partial<T>;
}

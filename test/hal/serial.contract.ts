/**
 * What every SerialBinding must do, given two paths wired back to back (a null-modem cable in
 * memory, or a real pty pair).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import type { SerialBinding, SerialLink } from '../../platform/hal/serial.ts';
import { HalError } from '../../platform/hal/errors.ts';

export interface SerialFixture {
  binding: SerialBinding;
  /** Two paths wired to each other. */
  ends: [string, string];
  /** A path that does not exist. */
  missing: string;
  cleanup(): Promise<void>;
}

const BAUD = { baudRate: 115200 };

/** Resolves with exactly `n` bytes once they have arrived; rejects at the deadline with what came. */
export function collect(link: SerialLink, n: number, timeoutMs = 5000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let got = 0;
    const timer = setTimeout(() => { off(); reject(new Error(`${link.path}: ${got} of ${n} bytes after ${timeoutMs} ms`)); }, timeoutMs);
    const off = link.onData((c) => {
      chunks.push(c);
      got += c.length;
      if (got >= n) { clearTimeout(timer); off(); resolve(Buffer.concat(chunks)); }
    });
  });
}

/** A hung write must fail the test, not hang the run. */
function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: not done after ${ms} ms`)), ms); });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

async function rejection(p: Promise<unknown>): Promise<HalError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  assert.instance(e, HalError, `expected a HalError, got ${String(e)}`);
  return e as HalError;
}

export function serialContract(name: string, make: () => Promise<SerialFixture>): void {
  const s = suite<{ fx?: SerialFixture; links: SerialLink[] }>(`serial contract: ${name}`, { links: [] });
  s.before.each(async (ctx) => { ctx.fx = await make(); ctx.links = []; });
  s.after.each(async (ctx) => {
    await Promise.allSettled(ctx.links.map((l) => l.close()));
    await ctx.fx?.cleanup();
    ctx.fx = undefined;
  });
  const openBoth = async (ctx: { fx?: SerialFixture; links: SerialLink[] }) => {
    const [a, b] = await Promise.all(ctx.fx!.ends.map((p) => ctx.fx!.binding.open(p, BAUD)));
    ctx.links.push(a!, b!);
    return [a!, b!] as const;
  };

  s('has a description', ({ fx }) => {
    assert.ok(fx!.binding.description.length > 0);
  });

  s('bytes go both ways, every byte value intact', async (ctx) => {
    const [a, b] = await openBoth(ctx);
    assert.is(a.path, ctx.fx!.ends[0]);
    const atB = collect(b, 5);
    await a.write('hello');
    assert.is((await atB).toString(), 'hello');
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const atA = collect(a, 256);
    await b.write(all);
    assert.ok((await atA).equals(all), 'all 256 byte values arrive unchanged');
  });

  s('a 256 KiB transfer arrives intact, in both directions at once', async (ctx) => {
    const [a, b] = await openBoth(ctx);
    const ab = randomBytes(256 * 1024);
    const ba = randomBytes(256 * 1024);
    const [atB, atA] = await withDeadline(
      Promise.all([collect(b, ab.length, 20000), collect(a, ba.length, 20000), a.write(ab), b.write(ba)]),
      20000, 'full-duplex 256 KiB transfer');
    assert.ok(atB.equals(ab), 'a -> b intact');
    assert.ok(atA.equals(ba), 'b -> a intact');
  });

  s('bytes that arrive before anyone subscribes are held for the first subscriber', async (ctx) => {
    const [a, b] = await openBoth(ctx);
    await a.write('early');
    await new Promise((r) => setTimeout(r, 50)); // let them land before subscribing
    const atB = collect(b, 10);
    await a.write('later');
    assert.is((await atB).toString(), 'earlylater');
  });

  s('unsubscribing stops delivery to that subscriber only', async (ctx) => {
    const [a, b] = await openBoth(ctx);
    const seen: string[] = [];
    const off = b.onData((c) => seen.push(c.toString()));
    off();
    const atB = collect(b, 3);
    await a.write('abc');
    assert.is((await atB).toString(), 'abc');
    assert.equal(seen, []);
  });

  s('close: idempotent, later writes reject, the path can be opened again', async (ctx) => {
    const [a, b] = await openBoth(ctx);
    await a.close();
    await a.close();
    const e = await rejection(a.write('x'));
    assert.is(e.op, 'write');
    assert.match(e.message, /closed/);
    const again = await ctx.fx!.binding.open(ctx.fx!.ends[0], BAUD);
    ctx.links.push(again);
    const atB = collect(b, 4);
    await again.write('back');
    assert.is((await atB).toString(), 'back');
  });

  s('a path is open once at a time', async (ctx) => {
    await openBoth(ctx);
    const e = await rejection(ctx.fx!.binding.open(ctx.fx!.ends[0], BAUD));
    assert.is(e.op, 'open');
    assert.is(e.path, ctx.fx!.ends[0]);
  });

  s('opening a missing path is a HalError naming it', async ({ fx }) => {
    const e = await rejection(fx!.binding.open(fx!.missing, BAUD));
    assert.is(e.device, 'serial');
    assert.is(e.op, 'open');
    assert.ok(e.message.includes(fx!.missing), e.message);
  });

  s('an invalid baud rate is a HalError', async ({ fx }) => {
    const e = await rejection(fx!.binding.open(fx!.ends[0], { baudRate: -1 }));
    assert.match(e.message, /baud/);
  });

  s.run();
}

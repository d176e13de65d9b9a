/**
 * A benchmark helper process spoken to over Node's IPC channel, request/reply by id. Used
 * where the side under test must not share an event loop (or a CPU account) with the side
 * measuring it.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface BenchChild {
  readonly pid: number;
  request<T>(msg: Record<string, unknown>, timeoutMs?: number): Promise<T>;
  stop(): Promise<void>;
}

interface Envelope { id: number; error?: string; reply?: unknown }

export async function startChild(file: string): Promise<BenchChild> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', file], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let next = 1;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.on('message', (m: Envelope) => {
    const p = pending.get(m.id);
    pending.delete(m.id);
    if (m.error !== undefined) p?.reject(new Error(`${file}: ${m.error}`));
    else p?.resolve(m.reply);
  });
  void exited.then(() => {
    for (const p of pending.values()) p.reject(new Error(`${file} exited (code ${child.exitCode}, ${child.signalCode ?? 'no signal'})`));
    pending.clear();
  });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  const request = <T>(msg: Record<string, unknown>, timeoutMs = 120_000) => {
    const id = next++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => { pending.delete(id); reject(new Error(`${file}: no reply to ${String(msg.op)} in ${timeoutMs} ms`)); }, timeoutMs);
      pending.set(id, {
        resolve: (v) => { clearTimeout(timer); resolve(v as T); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      });
      child.send({ ...msg, id });
    });
  };
  return {
    pid: child.pid!,
    request,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      // A polite close first: the child owns ptys and socat processes it must release.
      await request({ op: 'close' }, 10_000).catch(() => undefined);
      const gone = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5000))]);
      if (!gone) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}

/** The child's half: answers requests with `handle`, exits after replying to `close`. */
export function serveParent(handle: (msg: Record<string, unknown>) => Promise<unknown>, onClose: () => Promise<void>): void {
  const send = (m: Envelope) => process.send?.(m);
  process.on('message', (m: Record<string, unknown> & { id: number }) => {
    const work = m.op === 'close' ? onClose().then(() => undefined) : handle(m);
    work.then(
      (reply) => send({ id: m.id, reply: reply ?? null }),
      (e: Error) => send({ id: m.id, error: e.stack ?? e.message }),
    ).finally(() => {
      if (m.op === 'close') process.disconnect?.();
    });
  });
  // Parent gone (killed, crashed): do not linger holding ptys.
  process.on('disconnect', () => void onClose().finally(() => process.exit(0)));
}

/**
 * A redis-server of our own (the Debian package's binary, never its system service): the
 * shared store of a broker cluster on a desk, and of the tests. On 127.0.0.1 and a free port,
 * a child of this process, stopped by its pid. With `dir`, it keeps an append-only file there
 * (every second), so retained messages and sessions outlive a `desk down` as the SQLite store's
 * do; without, it keeps nothing on disk (`--save ''`, no AOF).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { stopChild } from '../../platform/child-stop.ts';

export interface RedisServer {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** Settles with how the process ended, however it did. */
  readonly exited: Promise<string>;
  /** SIGTERM, then SIGKILL after 5 s. Idempotent. */
  stop(): Promise<void>;
}

export interface RedisServerOptions {
  /** Keep an append-only file here; absent: nothing on disk. */
  dir?: string;
  /** Default: a free one. */
  port?: number;
  /** Default 'redis-server' on PATH. */
  binary?: string;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export async function startRedisServer(opts: RedisServerOptions = {}): Promise<RedisServer> {
  for (let attempt = 0; ; attempt++) {
    const port = opts.port ?? (await freePort());
    try {
      return await startOn(port, opts);
    } catch (err) {
      // A free port taken between the probe and the listen: try another (a fixed one fails).
      if (opts.port !== undefined || attempt >= 3 || !/in use/i.test((err as Error).message)) throw err;
    }
  }
}

async function startOn(port: number, opts: RedisServerOptions): Promise<RedisServer> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--protected-mode', 'yes', '--daemonize', 'no', '--save', ''];
  if (opts.dir) args.push('--dir', opts.dir, '--appendonly', 'yes', '--appendfsync', 'everysec');
  else args.push('--appendonly', 'no');
  const child: ChildProcess = spawn(opts.binary ?? 'redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(signal ? `signal ${signal}` : `code ${code}`)));
  const said: string[] = [];
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      said.push(line);
      if (said.length > 20) said.shift();
      if (/Ready to accept connections/.test(line)) {
        lines.removeAllListeners('line');
        child.stdout!.resume();
        resolve();
      }
    });
    void exited.then((how) => reject(new Error(`redis-server on port ${port} exited during start-up (${how}): ${said.slice(-3).join(' | ')}`)));
  });
  child.stderr!.resume();
  let stopping: Promise<void> | undefined;
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid: child.pid!,
    exited,
    stop() {
      stopping ??= stopChild(child, 5000, exited);
      return stopping;
    },
  };
}

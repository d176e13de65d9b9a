/**
 * The brokers bench/broker.ts compares, each in a process of its own: mosquitto (the Debian
 * package) with a password file, an ACL matching the desk policy's board and host rules as far
 * as the bench's topics go, persistence on and max_inflight_messages 0; the deskbox broker as
 * the desk runs it (deskbox-broker.ts); and bare aedes (aedes-bare-broker.ts). Plain MQTT on
 * loopback for all.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import mqtt from 'mqtt';
import { UserStore, newUser, saveUsers } from '../../broker/index.ts';
import type { Principal } from '../../broker/policy.ts';
import { freePort } from '../../host/desk/redis-server.ts';
import { stopChild } from '../../platform/child-stop.ts';

/**
 * `deskbox-memory`: the deskbox broker on aedes' in-memory store, mosquitto's guarantee (it
 * writes its in-memory database every autosave_interval, 30 min by default, so a crash loses
 * what was queued since); `deskbox` keeps every QoS 1 message in SQLite before its PUBACK;
 * `aedes`: the library with its defaults and nothing of ours, the floor for any aedes broker.
 */
export type Kind = 'mosquitto' | 'deskbox' | 'deskbox-memory' | 'aedes';
export const KINDS: readonly Kind[] = ['mosquitto', 'deskbox', 'deskbox-memory', 'aedes'];
export interface Broker { kind: Kind; pid: number; port: number; stop(): Promise<void> }

export interface BenchSetup {
  /** A scratch folder the caller removes. */
  work: string;
  desk: string;
  boards: readonly string[];
  password(user: string): string;
  /** A folder for the deskbox broker's --cpu-prof output, if profiling. */
  prof?: string;
}

// The cheapest hashes users.ts accepts: logins are not what is measured (490 default ones cost ~25 s of CPU).
const SCRYPT = { N: 1024, r: 8, p: 1, keylen: 32 };


const STOP_GRACE_MS = 15_000;

/** The users of both brokers (host + one per board); returns deskbox's users file. */
export async function writeUsers({ work, desk, boards, password }: BenchSetup): Promise<string> {
  const principals: Principal[] = [{ role: 'host', username: 'host' }, ...boards.map((b) => ({ role: 'board' as const, username: b, desk, board: b }))];
  const store = new UserStore(await Promise.all(principals.map((p) => newUser(p, password(p.username), SCRYPT))));
  const path = join(work, 'users.json');
  await saveUsers(path, store);

  writeFileSync(join(work, 'mosquitto.passwd'), ['host', ...boards].map((u) => `${u}:${password(u)}\n`).join(''), { mode: 0o600 });
  const hashed = spawnSync('mosquitto_passwd', ['-U', join(work, 'mosquitto.passwd')], { encoding: 'utf8' });
  if (hashed.status !== 0) throw new Error(`mosquitto_passwd -U: ${hashed.stderr}`);
  // The policy's board and host rules, as far as these topics go.
  writeFileSync(join(work, 'mosquitto.acl'), [
    'user host', 'topic readwrite deskbox/#', '',
    ...['status', 'telemetry', 'events', 'reply'].map((c) => `pattern write deskbox/${desk}/boards/%u/${c}`),
    `pattern read deskbox/${desk}/boards/%u/#`, '',
  ].join('\n'));
  return path;
}

export async function startMosquitto({ work, password }: BenchSetup, run: number): Promise<Broker> {
  const port = await freePort();
  const dir = mkdtempSync(join(work, `mosquitto-${run}-`));
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, [
    // As root, mosquitto would drop to the `mosquitto` user, which cannot read these files.
    ...(process.getuid?.() === 0 ? ['user root'] : []),
    `listener ${port} 127.0.0.1`, 'allow_anonymous false',
    `password_file ${join(work, 'mosquitto.passwd')}`, `acl_file ${join(work, 'mosquitto.acl')}`,
    'persistence true', `persistence_location ${dir}/`, 'max_inflight_messages 0', 'max_queued_messages 1000',
    'log_dest stderr', 'log_type error', 'log_type warning', '',
  ].join('\n'));
  const child = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'inherit'] });
  // mosquitto prints nothing on start at these log levels: wait for the port.
  for (let i = 0; ; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = mqtt.connect(`mqtt://127.0.0.1:${port}`, { username: 'host', password: password('host'), reconnectPeriod: 0, connectTimeout: 1000 });
      c.once('connect', () => { c.end(true); resolve(true); });
      c.once('error', () => { c.end(true); resolve(false); });
      c.once('close', () => resolve(false));
    });
    if (ok) break;
    if (i > 50 || child.exitCode !== null) throw new Error('mosquitto did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  return { kind: 'mosquitto', pid: child.pid!, port, stop: () => stopChild(child, STOP_GRACE_MS) };
}

export async function startDeskbox({ work, prof: profDir }: BenchSetup, run: number, usersFile: string, kind: Exclude<Kind, 'mosquitto'> = 'deskbox'): Promise<Broker> {
  const dir = mkdtempSync(join(work, `${kind}-${run}-`));
  const prof = profDir ? ['--cpu-prof', '--cpu-prof-dir', profDir] : [];
  const program = kind === 'aedes'
    ? [join(import.meta.dirname, 'aedes-bare-broker.ts')]
    : [join(import.meta.dirname, 'deskbox-broker.ts'), usersFile, kind === 'deskbox' ? join(dir, 'store.sqlite') : 'memory'];
  const child = spawn(process.execPath, ['--import', 'tsx', ...prof, ...program], { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`${kind} broker exited (${code}) before listening`)));
  });
  const { port } = JSON.parse(line) as { port: number };
  return { kind, pid: child.pid!, port, stop: () => stopChild(child, STOP_GRACE_MS) };
}

/** utime + stime of a process, in ms. */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // USER_HZ is 100 on Linux
}

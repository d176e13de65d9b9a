/**
 * Namespaced, injectable logging. Every component takes a Logger; nothing logs through a global,
 * so one process can host many boards and tests can capture what a component said.
 */
export type Level = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  readonly ns: string;
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(ns: string): Logger;
}

export interface LogRecord {
  at: number;
  level: Level;
  ns: string;
  msg: string;
  fields?: Record<string, unknown>;
}

export type LogSink = (record: LogRecord) => void;

const order: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Field names whose values never reach a sink, whatever component passes them. */
const secretKeys = /pass(word)?|secret|token|private|credential/i;

function redact(fields?: Record<string, unknown>): Record<string, unknown> | undefined {
  if (!fields) return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) out[k] = secretKeys.test(k) ? '[redacted]' : v;
  return out;
}

export function createLogger(ns: string, sink: LogSink, minLevel: Level = 'info'): Logger {
  const emit = (level: Level) => (msg: string, fields?: Record<string, unknown>) => {
    if (order[level] < order[minLevel]) return;
    sink({ at: Date.now(), level, ns, msg, fields: redact(fields) });
  };
  return {
    ns,
    debug: emit('debug'),
    info: emit('info'),
    warn: emit('warn'),
    error: emit('error'),
    child: (sub) => createLogger(`${ns}:${sub}`, sink, minLevel),
  };
}

/** One line a record: `2026-11-25T12:00:00.000Z info board:b01 connected {"ms":12}`. */
export function lineSink(write: (line: string) => void): LogSink {
  return (r) => {
    const extra = r.fields && Object.keys(r.fields).length ? ' ' + JSON.stringify(r.fields) : '';
    write(`${new Date(r.at).toISOString()} ${r.level} ${r.ns} ${r.msg}${extra}\n`);
  };
}

export function stderrLogger(ns: string, minLevel: Level = levelFromEnv()): Logger {
  return createLogger(ns, lineSink((l) => process.stderr.write(l)), minLevel);
}

/** A logger that keeps records in memory: for tests that assert on what was logged. */
export function memoryLogger(ns = 'test'): Logger & { records: LogRecord[] } {
  const records: LogRecord[] = [];
  return Object.assign(createLogger(ns, (r) => records.push(r), 'debug'), { records });
}

export function levelFromEnv(env: NodeJS.ProcessEnv = process.env): Level {
  const v = env.DESKBOX_LOG;
  return v === 'debug' || v === 'warn' || v === 'error' ? v : 'info';
}

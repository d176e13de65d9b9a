/**
 * CSV export of a telemetry file, one file per table, for tools that do not read SQLite
 * (spreadsheets, pandas.read_csv). RFC 4180: CRLF line ends, a header row, fields holding a
 * comma, quote or line break quoted with inner quotes doubled, NULL as an empty field.
 */
import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { TABLES, type TableName, TelemetryStoreError } from './schema.ts';

// Per-board time order, as an analysis reads it; rowid breaks ties in arrival order.
const ORDER: Record<TableName, string> = {
  telemetry: 'board, at, rowid',
  boot_phases: 'board, at, rowid',
  guest_boots: 'board, at, rowid',
  guest_failures: 'board, at, rowid',
  statuses: 'board, received_at, rowid',
  events: 'board, at, rowid',
  marks: 'at, rowid',
  meta: 'key',
  counters: 'name',
};

/** Flushed to the file in chunks of about this many characters, so big tables stream. */
const CHUNK_CHARS = 1 << 20;

const NEEDS_QUOTES = /[",\r\n]/;

export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'string' ? value : String(value);
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Writes every table to `<dir>/<table>.csv` and returns the paths, in TABLES order. */
export function exportTablesCsv(db: Database, dir: string): string[] {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (cause) {
    throw new TelemetryStoreError('cannot create the CSV folder', { dir }, { cause });
  }
  return TABLES.map((table) => {
    const file = join(dir, `${table}.csv`);
    writeTableCsv(db, table, file);
    return file;
  });
}

// Written beside the target and renamed into place: a reader never sees half a table.
function writeTableCsv(db: Database, table: TableName, file: string): void {
  const partial = `${file}.partial`;
  let fd: number | undefined;
  try {
    const select = db.prepare(`SELECT * FROM ${table} ORDER BY ${ORDER[table]}`).raw(true);
    fd = openSync(partial, 'w');
    let chunk = `${select.columns().map((c) => csvField(c.name)).join(',')}\r\n`;
    for (const row of select.iterate() as IterableIterator<unknown[]>) {
      chunk += `${row.map(csvField).join(',')}\r\n`;
      if (chunk.length >= CHUNK_CHARS) {
        writeSync(fd, chunk);
        chunk = '';
      }
    }
    writeSync(fd, chunk);
    closeSync(fd);
    fd = undefined;
    renameSync(partial, file);
  } catch (cause) {
    if (fd !== undefined) closeSync(fd);
    rmSync(partial, { force: true });
    throw new TelemetryStoreError('cannot export a table to CSV', { table, file }, { cause });
  }
}

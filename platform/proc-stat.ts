/**
 * `/proc/<pid>/stat`, parsed once for everyone who asks about a process: its state letter,
 * parent, process group, CPU ticks and start time. The command name (field 2) is in
 * parentheses and may itself hold spaces or ')', so fields are counted after the last ')'.
 */
import { readFileSync } from 'node:fs';

export interface ProcStat {
  /** `R`, `S`, `D`, `Z` (zombie: dead, not yet reaped)... */
  state: string;
  ppid: number;
  pgrp: number;
  /** CPU time in clock ticks (USER_HZ, 100 a second on Linux). */
  utimeTicks: number;
  stimeTicks: number;
  /** Ticks after boot at which the process started: with the pid, names one process for good. */
  startTime: string;
}

export function parseProcStat(text: string): ProcStat | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  // Index 0 is field 3 (state); field n sits at n - 3.
  const f = text.slice(close + 2).split(' ');
  if (f.length < 20) return undefined;
  return { state: f[0]!, ppid: Number(f[1]), pgrp: Number(f[2]), utimeTicks: Number(f[11]), stimeTicks: Number(f[12]), startTime: f[19]! };
}

/** Undefined once the process is gone (or was never there). */
export function readProcStat(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return undefined;
  }
}

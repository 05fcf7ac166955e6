/**
 * Resident memory of a process from /proc/<pid>/status (Linux): VmRSS (resident now) and VmHWM
 * (the peak resident set since the process started), both reported by the kernel in kB.
 */
import { readFileSync } from 'node:fs';

/** Resident memory of one process, bytes. */
export interface ProcMemory {
  /** VmRSS: resident set now, bytes. */
  rssBytes: number;
  /** VmHWM: peak resident set ("high water mark"), bytes. */
  hwmBytes: number;
}

/** Parses the VmRSS and VmHWM lines of a /proc/<pid>/status text; NaN for a missing line. */
export function parseProcStatus(text: string): ProcMemory {
  const kb = (field: string): number => {
    const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB$`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : NaN;
  };
  return { rssBytes: kb('VmRSS'), hwmBytes: kb('VmHWM') };
}

/** Memory of process `pid` now; undefined once it has exited (or when /proc is unreadable). */
export function procMemory(pid: number): ProcMemory | undefined {
  try {
    return parseProcStatus(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return undefined;
  }
}

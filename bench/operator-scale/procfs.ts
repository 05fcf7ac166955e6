/**
 * CPU time and memory of a process from Linux procfs (`/proc/<pid>/stat`, `/proc/<pid>/status`),
 * the figures `top` and the kubelet's cAdvisor report: user+system CPU seconds, resident set size
 * (VmRSS) and its high-water mark (VmHWM, the peak RSS since the process started).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** One reading of a process. */
export interface ProcSample {
  /** When it was taken: `performance.now()` of this process, milliseconds. */
  atMs: number;
  /** User + system CPU time consumed since the process started, seconds. */
  cpuSeconds: number;
  /** Resident set size now (VmRSS), bytes. */
  rssBytes: number;
  /** Peak resident set size since start (VmHWM), bytes. */
  hwmBytes: number;
}

let ticksPerSecond: number | undefined;

/** Clock ticks per second of `/proc/<pid>/stat` CPU fields (`getconf CLK_TCK`, normally 100). */
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** A `Vm*:  N kB` line of /proc/<pid>/status in bytes (0 when absent). */
function statusKb(status: string, key: string): number {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
  return m ? Number(m[1]) * 1024 : 0;
}

/**
 * Reads CPU and memory of `pid`.
 * @returns undefined when the process is gone (or procfs is unreadable)
 */
export function readProc(pid: number): ProcSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    // Fields after the command name (which is in parentheses and may contain spaces):
    // state(3) ppid(4) ... utime(14) stime(15), 1-based as in proc(5).
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(rest[14 - 3]);
    const stime = Number(rest[15 - 3]);
    return {
      atMs: performance.now(),
      cpuSeconds: (utime + stime) / clockTicks(),
      rssBytes: statusKb(status, 'VmRSS'),
      hwmBytes: statusKb(status, 'VmHWM'),
    };
  } catch {
    return undefined;
  }
}

/** The command line of `pid` (NUL-separated arguments joined by spaces), or '' when gone. */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

/** Machine-wide CPU time from the first line of /proc/stat, seconds summed over all CPUs. */
export interface MachineCpu {
  /** Everything but idle and iowait. */
  busySeconds: number;
  totalSeconds: number;
}

/** Reads machine-wide CPU time (undefined when /proc/stat is unreadable). */
export function readMachineCpu(): MachineCpu | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const f = line.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = f.reduce((a, b) => a + b, 0);
    const idle = (f[3] ?? 0) + (f[4] ?? 0);
    return { busySeconds: (total - idle) / clockTicks(), totalSeconds: total / clockTicks() };
  } catch {
    return undefined;
  }
}

/**
 * Open sockets of `pid` (file descriptors linking to `socket:[…]`): TCP connections to the API
 * server, MinIO, listeners. Undefined when the process is gone.
 */
export function countSockets(pid: number): number | undefined {
  try {
    let n = 0;
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) n++;
      } catch {
        // closed meanwhile
      }
    }
    return n;
  } catch {
    return undefined;
  }
}

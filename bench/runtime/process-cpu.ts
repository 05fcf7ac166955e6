/**
 * CPU time of processes from /proc (Linux): of one process, of a whole process tree, and of
 * this benchmark process. The runtime benchmark counts CPU over whole process trees, as the
 * Flink side counts its whole JVM (docs/benchmarks.md "Runtime: Sluice vs Flink", fairness).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat CPU times. */
let clockTicks: number | undefined;

/** CPU time (user + system) process `pid` has used, ms; NaN when unreadable (not Linux, exited). */
export function processCpuMs(pid: number): number {
  try {
    clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / clockTicks;
  } catch {
    return NaN;
  }
}

/** Pids of `pid`'s children (all threads' children, /proc/<pid>/task/<tid>/children). */
function childPids(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean).map(Number),
    );
  } catch {
    return [];
  }
}

/** CPU time of `pid` and all its descendants, ms; NaN when `pid` is unreadable. */
export function processTreeCpuMs(pid: number): number {
  let ms = processCpuMs(pid);
  for (const c of childPids(pid)) {
    const child = processTreeCpuMs(c);
    if (Number.isFinite(child)) ms += child;
  }
  return ms;
}

/** CPU time this benchmark process has used (user + system, all threads), ms. */
export const driverCpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

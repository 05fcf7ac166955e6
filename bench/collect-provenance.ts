/**
 * Reads where a Sluice benchmark run happens (provenance.ts): the machine, its load, node's
 * version, the commit and whether the working tree is dirty, the run id, and the inputs the
 * throughput jobs share with the Flink side (bench/flink Main writes the same `inputs`).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { DEFAULT_NEXMARK } from '../runtime-image/src/nexmark/generator.ts';
import type { Provenance } from './provenance.ts';

const repoRoot = resolve(import.meta.dirname, '..');

/** Load averages over 1, 5 and 15 min, 2 decimals. */
export const loadAverage = (): number[] => loadavg().map((x) => Number(x.toFixed(2)));

/** The generator settings of the built-in jobs' benchmark configs (same shape as bench/flink writes). */
export function benchmarkInputs(): Record<string, unknown> {
  return {
    wordcount: { partitions: 4, seed: 1, vocabulary: 1000, wordsPerLine: 8 },
    nexmark: { partitions: 4, ...DEFAULT_NEXMARK },
  };
}

function git(...args: string[]): string {
  return execFileSync('git', args, {
    cwd: repoRoot,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  }).trim();
}

function cpuModel(): string {
  try {
    return /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * The provenance of a run starting now; `loadAverage.end` is null until the caller sets it.
 * The run id is `BENCH_RUN_ID` when set (`make bench` sets one for all its parts), else a new one.
 * @param parameters every option of the run, as given or defaulted
 * @param inputs what the run's input is (default: the runtime benchmark's generator settings)
 */
export function collectProvenance(
  parameters: Record<string, string | number | boolean>,
  inputs: Record<string, unknown> = benchmarkInputs(),
): Provenance {
  let commit = 'unknown';
  let dirty = true;
  try {
    commit = git('rev-parse', 'HEAD');
    dirty = git('status', '--porcelain') !== '';
  } catch {
    // not a git checkout: recorded as unknown and dirty
  }
  const date = new Date().toISOString();
  const runId =
    process.env.BENCH_RUN_ID ||
    `${date.replace(/[-:]|\.\d+/g, '')}-${commit.slice(0, 7)}-${randomBytes(2).toString('hex')}`;
  return {
    runId,
    date,
    machine: { cpuModel: cpuModel(), cores: availableParallelism(), memoryBytes: totalmem() },
    loadAverage: { start: loadAverage(), end: null },
    tools: { node: process.version },
    git: { commit, dirty },
    inputs,
    parameters,
  };
}

/**
 * Scenario "memory" of the state benchmark: state larger than the memory a worker is given. One
 * worker of keyed-value-job.ts as an operator would run it in a container with a memory limit L:
 *
 *   - rocksdb: the environment the operator gives a rocksdb worker with that limit
 *     (operator/src/streamjob/state-backend.ts workerMemoryPlan: SLUICE_STATE_MEMORY_BYTES,
 *     --max-old-space-size, MALLOC_ARENA_MAX);
 *   - heap: --max-old-space-size = L − RUNTIME_RESERVE_BYTES, all the memory the runtime does
 *     not need for itself (its state lives in the V8 heap), the most favourable setting for it.
 *
 * Keys are loaded in steps of `stepKeys` up to `targetKeys`, or until `maxSeconds` of loading
 * passed, or until the worker dies (the heap backend: V8's heap limit). The worker's VmRSS is
 * sampled every 200 ms while it loads and VmHWM (the kernel's peak) is read after every step.
 * No cgroup enforces L here: the figure is the peak resident set measured against L.
 * After the load (rocksdb), `checkpointRounds` rounds of "update 1 % of the keys, checkpoint"
 * follow the first checkpoint, so the incremental figures exist at this state size too.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchEnv } from '../runtime/lib.ts';
import {
  MALLOC_ARENAS,
  RUNTIME_RESERVE_BYTES,
  workerMemoryPlan,
} from '../../operator/src/streamjob/state-backend.ts';
import { GatedJob, WorkerDied, type MeasuredCheckpoint } from './gated-job.ts';
import { procMemory } from './proc-memory.ts';

/** Memory after one load step. */
export interface MemoryStep {
  /** Keys loaded so far. */
  keys: number;
  /** Seconds since the load began. */
  seconds: number;
  /** VmRSS after the step, bytes. */
  rssBytes: number;
  /** VmHWM after the step (peak so far), bytes. */
  hwmBytes: number;
}

/** One run of the memory scenario for one backend. */
export interface MemoryRun {
  backend: 'heap' | 'rocksdb';
  /** The container memory limit L the settings are derived from, bytes. */
  limitBytes: number;
  /** SLUICE_STATE_MEMORY_BYTES (rocksdb only), bytes. */
  stateMemoryBytes: number | null;
  /** --max-old-space-size, MiB. */
  oldSpaceMiB: number;
  targetKeys: number;
  /** Keys the worker held at the end (all of the last completed step, or processed before it died). */
  keysLoaded: number;
  /** Seconds of loading. */
  loadSeconds: number;
  /** How the load ended. */
  outcome: 'target reached' | 'time limit' | 'worker died';
  /** When the worker died: the last lines of its log (the OOM message). */
  death: string | null;
  /** Highest VmRSS sampled and highest VmHWM read, bytes. */
  peakRssBytes: number;
  hwmBytes: number;
  steps: MemoryStep[];
  /** rocksdb: the checkpoint after the load, then one per update round. */
  checkpoints: MeasuredCheckpoint[];
  updateFraction: number;
  /**
   * What the rounds after the first checkpoint changed: `updates` of loaded keys when the target
   * was reached; `new keys` when the load stopped early (the job's record sequence then
   * continues with keys not loaded yet).
   */
  changeKind: 'updates' | 'new keys';
}

/**
 * Runs the scenario for one backend (module comment).
 * @throws Error when a checkpoint fails or the worker dies after the load
 */
export async function measureMemory(
  env: BenchEnv,
  o: {
    backend: 'heap' | 'rocksdb';
    limitBytes: number;
    targetKeys: number;
    stepKeys: number;
    maxSeconds: number;
    checkpointRounds: number;
    updateFraction: number;
    progress: (line: string) => void;
  },
): Promise<MemoryRun> {
  const stateDir = join(env.work, `state-memory-${o.backend}`);
  mkdirSync(stateDir, { recursive: true });
  const plan = o.backend === 'rocksdb' ? workerMemoryPlan(o.limitBytes) : undefined;
  const stateMemoryBytes = plan?.stateMemoryBytes ?? null;
  const oldSpaceMiB = plan?.oldSpaceMiB ?? Math.floor((o.limitBytes - RUNTIME_RESERVE_BYTES) / 2 ** 20);
  const job = await GatedJob.start(env, `memory-${o.backend}`, o.targetKeys, {
    SLUICE_STATE_BACKEND: o.backend,
    ...(stateMemoryBytes !== null
      ? {
          SLUICE_STATE_DIR: stateDir,
          SLUICE_STATE_INCREMENTAL: 'true',
          SLUICE_STATE_MEMORY_BYTES: String(stateMemoryBytes),
          MALLOC_ARENA_MAX: String(MALLOC_ARENAS),
        }
      : {}),
    NODE_OPTIONS: `--no-warnings --max-old-space-size=${oldSpaceMiB}`,
  });
  const run: MemoryRun = {
    backend: o.backend,
    limitBytes: o.limitBytes,
    stateMemoryBytes,
    oldSpaceMiB,
    targetKeys: o.targetKeys,
    keysLoaded: 0,
    loadSeconds: 0,
    outcome: 'target reached',
    death: null,
    peakRssBytes: 0,
    hwmBytes: 0,
    steps: [],
    checkpoints: [],
    updateFraction: o.updateFraction,
    changeKind: 'updates',
  };
  const t0 = performance.now();
  const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
  try {
    while (run.keysLoaded < o.targetKeys) {
      if ((performance.now() - t0) / 1000 > o.maxSeconds) {
        run.outcome = 'time limit';
        break;
      }
      const step = Math.min(o.stepKeys, o.targetKeys - run.keysLoaded);
      try {
        await job.release(step);
      } catch (err) {
        if (!(err instanceof WorkerDied)) throw err;
        run.outcome = 'worker died';
        run.keysLoaded = err.processed;
        run.death = err.logTail;
        break;
      }
      run.keysLoaded += step;
      const m = procMemory(job.pid);
      const s: MemoryStep = {
        keys: run.keysLoaded,
        seconds: Math.round((performance.now() - t0) / 100) / 10,
        rssBytes: m?.rssBytes ?? NaN,
        hwmBytes: m?.hwmBytes ?? NaN,
      };
      run.steps.push(s);
      o.progress(
        `${o.backend}: ${s.keys} keys after ${s.seconds} s, RSS ${mib(s.rssBytes)}, peak ${mib(s.hwmBytes)}`,
      );
    }
    run.loadSeconds = Math.round((performance.now() - t0) / 100) / 10;
    if (run.keysLoaded < o.targetKeys) run.changeKind = 'new keys';
    if (o.backend === 'rocksdb' && run.outcome !== 'worker died' && o.checkpointRounds > 0) {
      run.checkpoints.push(await job.checkpoint());
      for (let r = 0; r < o.checkpointRounds; r++) {
        await job.release(Math.round(run.keysLoaded * o.updateFraction));
        run.checkpoints.push(await job.checkpoint());
      }
      for (const c of run.checkpoints)
        o.progress(`checkpoint ${c.id}: ${c.durationMs} ms, uploaded ${c.uploadedBytes} of ${c.bytes} bytes`);
    }
  } finally {
    run.peakRssBytes = Math.max(
      job.peakRssBytes,
      ...run.steps.map((s) => s.rssBytes).filter(Number.isFinite),
    );
    run.hwmBytes = Math.max(job.hwmBytes, ...run.steps.map((s) => s.hwmBytes).filter(Number.isFinite));
    await job.stop();
  }
  return run;
}

/**
 * Scenario "incremental" of the state benchmark: does a RocksDB incremental checkpoint cost what
 * changed rather than the whole state? One worker (parallelism 1) of keyed-value-job.ts on the
 * rocksdb backend with incremental checkpoints (docs/state.md):
 *
 *   1. load: every one of `keys` keys written once, then checkpoint 1 (the first, full one);
 *   2. `rounds` times: `updateFraction` of the keys updated (spread over the key space), then a
 *      checkpoint.
 *
 * Per checkpoint: trigger → ack duration (ms) and the ack's `bytes` (the full state the snapshot
 * references) and `uploadedBytes` (what it uploaded).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchEnv } from '../runtime/lib.ts';
import { GatedJob, type MeasuredCheckpoint } from './gated-job.ts';

/** One run of the incremental scenario at one key count. */
export interface IncrementalRun {
  keys: number;
  /** Share of the keys updated between two later checkpoints. */
  updateFraction: number;
  /** Load phase: gate opened → every key processed, ms. */
  loadMs: number;
  /** Checkpoint 1 (after the load) and the checkpoints after each update round, in order. */
  checkpoints: MeasuredCheckpoint[];
  /** Per update round: gate opened → every update processed, ms. */
  updateMs: number[];
  /** Peak VmRSS of the worker seen while sampling and its VmHWM, bytes. */
  peakRssBytes: number;
  hwmBytes: number;
}

/**
 * Runs the scenario (module comment).
 * @param workerEnv extra worker environment (NODE_OPTIONS, log level)
 * @throws Error when the worker dies or a checkpoint fails
 */
export async function measureIncremental(
  env: BenchEnv,
  o: {
    keys: number;
    updateFraction: number;
    rounds: number;
    memoryBytes: number;
    workerEnv: Record<string, string>;
    progress: (line: string) => void;
  },
): Promise<IncrementalRun> {
  const stateDir = join(env.work, `state-incremental-${o.keys}`);
  mkdirSync(stateDir, { recursive: true });
  const job = await GatedJob.start(env, `incremental-${o.keys}`, o.keys, {
    SLUICE_STATE_BACKEND: 'rocksdb',
    SLUICE_STATE_INCREMENTAL: 'true',
    SLUICE_STATE_DIR: stateDir,
    SLUICE_STATE_MEMORY_BYTES: String(o.memoryBytes),
    ...o.workerEnv,
  });
  try {
    const loadMs = await job.release(o.keys);
    o.progress(`loaded ${o.keys} keys in ${(loadMs / 1000).toFixed(1)} s`);
    const checkpoints = [await job.checkpoint()];
    o.progress(describe(checkpoints[0]!));
    const updateMs: number[] = [];
    const perRound = Math.round(o.keys * o.updateFraction);
    for (let r = 0; r < o.rounds; r++) {
      updateMs.push(await job.release(perRound));
      const c = await job.checkpoint();
      checkpoints.push(c);
      o.progress(`${perRound} updates in ${(updateMs[r]! / 1000).toFixed(1)} s; ${describe(c)}`);
    }
    return {
      keys: o.keys,
      updateFraction: o.updateFraction,
      loadMs: Math.round(loadMs),
      checkpoints,
      updateMs: updateMs.map(Math.round),
      peakRssBytes: job.peakRssBytes,
      hwmBytes: job.hwmBytes,
    };
  } finally {
    await job.stop();
  }
}

function describe(c: MeasuredCheckpoint): string {
  return `checkpoint ${c.id}: ${c.durationMs} ms (worker ${c.workerDurationMs} ms), uploaded ${c.uploadedBytes} of ${c.bytes} bytes, ${c.sharedFiles} shared files`;
}

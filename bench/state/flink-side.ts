/**
 * The Apache Flink side of the state benchmark's incremental scenario: runs
 * `bench/flink/run.sh --scenarios state-incremental` (bench/flink/README.md: Flink 2.3.0 in a
 * MiniCluster, the keyed-value job ported, EmbeddedRocksDBStateBackend with incremental
 * checkpoints) with the same key counts, update fraction, rounds and RocksDB memory budget as
 * Sluice's side, writing its checkpoints to the MinIO process Sluice's side uses (its own
 * bucket), and reads its results file.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Provenance } from '../provenance.ts';

/** One Flink checkpoint, as bench/flink StateResults.java writes it. */
export interface FlinkStateCheckpoint {
  id: number;
  /** Trigger call → checkpoint complete (_metadata written), wall ms. */
  durationMs: number;
  /** Flink's state size of the checkpoint (every file it references: the full state), bytes. */
  bytes: number;
  /** Flink's checkpointed size (what this checkpoint wrote), bytes. */
  uploadedBytes: number;
  /** SST files the checkpoint's _metadata references. */
  sharedFiles: number;
}

/** One key count of the Flink side (as bench/state/incremental.ts IncrementalRun, without RSS). */
export interface FlinkIncrementalRun {
  keys: number;
  updateFraction: number;
  loadMs: number;
  updateMs: number[];
  checkpoints: FlinkStateCheckpoint[];
}

/** bench/flink's state results file. */
export interface FlinkStateResults {
  engine: 'flink';
  version: string;
  runtime: string;
  provenance: Provenance;
  parameters: Record<string, unknown>;
  incremental: FlinkIncrementalRun[];
  notes: string[];
}

const REPO = resolve(import.meta.dirname, '..', '..');

/**
 * Runs the Flink side (module comment), its output passed through to this process's stdout.
 * @param o.keys key counts; o.updateFraction share of keys updated per round; o.rounds update
 *   rounds; o.managedMiB Flink managed memory for RocksDB, MiB; o.s3 the MinIO and the existing
 *   bucket Flink checkpoints to (passed to run.sh as BENCH_S3_*)
 * @throws Error when run.sh fails (its log is then bench/results/flink-bench.log)
 */
export async function runFlinkIncremental(o: {
  keys: number[];
  updateFraction: number;
  rounds: number;
  managedMiB: number;
  s3: { endpoint: string; accessKey: string; secretKey: string; bucket: string };
}): Promise<FlinkStateResults> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-flink-state-'));
  const out = join(dir, 'flink-state.json');
  try {
    const args = [
      '--scenarios',
      'state-incremental',
      '--state-keys',
      o.keys.join(','),
      '--state-update-fraction',
      String(o.updateFraction),
      '--state-rounds',
      String(o.rounds),
      '--state-managed-mib',
      String(o.managedMiB),
      '--state-out',
      out,
    ];
    const code = await new Promise<number | null>((done, fail) => {
      const child = spawn(join(REPO, 'bench', 'flink', 'run.sh'), args, {
        cwd: REPO,
        stdio: 'inherit',
        env: {
          ...process.env,
          BENCH_S3_ENDPOINT: o.s3.endpoint,
          BENCH_S3_ACCESS_KEY: o.s3.accessKey,
          BENCH_S3_SECRET_KEY: o.s3.secretKey,
          BENCH_S3_BUCKET: o.s3.bucket,
        },
      });
      child.on('error', fail);
      child.on('exit', done);
    });
    if (code !== 0) throw new Error(`bench/flink/run.sh ${args.join(' ')} exited with ${code}`);
    return JSON.parse(readFileSync(out, 'utf8')) as FlinkStateResults;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

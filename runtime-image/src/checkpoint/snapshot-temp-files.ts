/**
 * Local temporary files of snapshot files (docs/state.md "Snapshots: two formats"): a worker
 * writes its canonical snapshot file locally before uploading it, and downloads the files of a
 * snapshot it restores before reading their sections, so neither is held in memory whole. They
 * live in the worker's local state directory (SLUICE_STATE_DIR for the rocksdb backend, the OS
 * temporary directory otherwise) as `<purpose>-w<subtask>-<8 random hex>[.<suffix>]`; the code
 * that creates them removes them, and in the worker's own state directory the files an earlier,
 * killed run of the same worker left behind are removed before the next one is created.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** What a temporary snapshot file is for. */
export type SnapshotTempPurpose = 'snapwrite' | 'snaprestore';

/**
 * A fresh path `<dir>/<purpose>-w<subtask>-<8 random hex>` (nothing is created).
 */
export function snapshotTempPath(dir: string, purpose: SnapshotTempPurpose, subtask: number): string {
  return join(dir, `${purpose}-w${subtask}-${randomBytes(4).toString('hex')}`);
}

/**
 * Creates `dir` if missing and removes the temporary files of `purpose` that worker `subtask`
 * left there (any suffix). Call it only when no such file of this process is in use.
 * @returns the names removed
 */
export async function removeStaleSnapshotTemps(
  dir: string,
  purpose: SnapshotTempPurpose,
  subtask: number,
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const mine = new RegExp(`^${purpose}-w${subtask}-[0-9a-f]{8}(\\.[a-z]+)?$`);
  const stale = (await readdir(dir)).filter((n) => mine.test(n));
  await Promise.all(stale.map((n) => rm(join(dir, n), { force: true })));
  return stale;
}

/**
 * The local directories of RocksDB state under the state directory (docs/state.md): each stage of
 * each worker run gets `<dir>/s<stage>-w<subtask>-<8 random hex>` (also the RocksDB instance's id
 * in shared storage) and `<that>-checkpoints` for its local checkpoints; the directories earlier
 * runs of the same worker left behind (killed processes do not clean up) are removed at start.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** Name of a stage's RocksDB directory under the state directory. */
export function stateDirName(stage: number, subtask: number, suffix: string): string {
  return `s${stage}-w${subtask}-${suffix}`;
}

/**
 * Removes the RocksDB directories of worker `subtask` (any stage, any earlier run) from `dir`,
 * creating `dir` if missing. Other workers' directories are left alone.
 * @returns the names removed
 */
export async function removeStaleStateDirs(dir: string, subtask: number): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  // The database directories and their local checkpoint directories (`<name>-checkpoints`).
  const mine = new RegExp(`^s\\d+-w${subtask}-[0-9a-f]+(-checkpoints)?$`);
  const stale = (await readdir(dir)).filter((n) => mine.test(n));
  await Promise.all(stale.map((n) => rm(join(dir, n), { recursive: true, force: true })));
  return stale;
}

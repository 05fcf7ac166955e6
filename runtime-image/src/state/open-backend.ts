/**
 * Creates the keyed-state backend a worker's stage uses, as configured (config.ts
 * StateBackendConfig; docs/state.md). A RocksDB backend gets a fresh directory
 * `<dir>/s<stage>-w<subtask>-<8 random hex>`; the directories earlier runs of the same worker
 * left behind (killed processes do not clean up) are removed first with removeStaleStateDirs.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { StateBackendConfig } from '../config.ts';
import type { KeyGroupRange } from '../core/keygroups.ts';
import { HeapStateBackend } from './heap-state-backend.ts';
import type { KeyedStateBackend } from './keyed-state-backend.ts';

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
  const mine = new RegExp(`^s\\d+-w${subtask}-[0-9a-f]+$`);
  const stale = (await readdir(dir)).filter((n) => mine.test(n));
  await Promise.all(stale.map((n) => rm(join(dir, n), { recursive: true, force: true })));
  return stale;
}

/**
 * Opens the backend of stage `stage` on worker `subtask`.
 * @throws the RocksDB binding's error when the directory cannot be opened
 */
export async function openStateBackend(
  config: StateBackendConfig,
  stage: number,
  subtask: number,
  range: KeyGroupRange,
): Promise<KeyedStateBackend> {
  if (config.backend === 'heap') return new HeapStateBackend(range);
  const { RocksDbStateBackend } = await import('./rocksdb/rocksdb-state-backend.ts');
  const dir = join(config.dir, stateDirName(stage, subtask, randomBytes(4).toString('hex')));
  return RocksDbStateBackend.open(dir, range, { memoryBytes: config.memoryBytes });
}

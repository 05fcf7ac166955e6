/**
 * Completeness of a `_metadata` document (docs/checkpointing.md "The `_metadata` document"): one
 * ack per subtask 0..parallelism-1 in order, their key-group ranges covering every key group
 * 0..maxParallelism-1 exactly once, and every subtask listing its state files with a plain name,
 * a size and a sha256. A restore that accepted less would silently lose the state of the key
 * groups nobody lists, or restore a group twice. Pure; used by the operator (choosing a restore
 * source) and by the workers (restoring).
 */
import type { SnapshotMetadata } from './metadata.ts';

const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * Why `metadata` does not describe a complete snapshot, or undefined when it does.
 * @param source the `_metadata` object, named in the message
 */
export function metadataCoverageProblem(metadata: SnapshotMetadata, source: string): string | undefined {
  const maxP = metadata.maxParallelism;
  if (!Number.isInteger(maxP) || maxP < 1)
    return `${source}: maxParallelism ${maxP} is not a positive integer`;
  // coveredBy[g]: the subtask whose range holds key group g (-1: none yet).
  const coveredBy = new Int32Array(maxP).fill(-1);
  for (let i = 0; i < metadata.workers.length; i++) {
    const ack = metadata.workers[i]!;
    if (ack.subtask !== i) return `${source}: entry ${i} of workers is subtask ${ack.subtask}, expected ${i}`;
    const r = ack.keyGroupRange;
    if (!r || !Number.isInteger(r.start) || !Number.isInteger(r.end)) {
      return `${source}: subtask ${i} lists no key-group range`;
    }
    if (r.end >= r.start && (r.start < 0 || r.end >= maxP)) {
      return `${source}: subtask ${i}'s key groups ${r.start}..${r.end} are outside 0..${maxP - 1}`;
    }
    for (let g = r.start; g <= r.end; g++) {
      if (coveredBy[g]! >= 0)
        return `${source}: key group ${g} is claimed by subtasks ${coveredBy[g]} and ${i}`;
      coveredBy[g] = i;
    }
    const problem = fileListProblem(ack.files, i, source);
    if (problem) return problem;
  }
  const missing = coveredBy.indexOf(-1);
  if (missing >= 0) return `${source}: key group ${missing} is covered by no subtask`;
  return undefined;
}

function fileListProblem(files: unknown, subtask: number, source: string): string | undefined {
  if (!Array.isArray(files) || files.length === 0) return `${source}: subtask ${subtask} lists no state file`;
  for (const f of files as Array<Record<string, unknown>>) {
    const key = f?.key;
    if (typeof key !== 'string' || !FILE_NAME.test(key)) {
      return `${source}: subtask ${subtask} lists a state file named ${JSON.stringify(key)}, not a plain file name`;
    }
    if (!Number.isSafeInteger(f.bytes) || (f.bytes as number) < 0) {
      return `${source}: subtask ${subtask}'s state file ${key} has no valid size`;
    }
    if (typeof f.sha256 !== 'string' || !SHA256_HEX.test(f.sha256)) {
      return `${source}: subtask ${subtask}'s state file ${key} has no valid sha256`;
    }
  }
  return undefined;
}

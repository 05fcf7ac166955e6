/**
 * Which subtask reads a source split. Deterministic in (split, parallelism) only, so every
 * worker agrees without coordination and a rescaled restore gives each split exactly one owner:
 *
 * - numbered splits (generator partitions): partition k → subtask k mod p;
 * - named splits (S3 objects): murmur3_x86_32(utf8(name), seed 0) mod p.
 */
import { murmur3x86_32 } from '../core/murmur3.ts';

const encoder = new TextEncoder();

/** Owner of numbered split `index` among `parallelism` subtasks. */
export function ownerOfIndexedSplit(index: number, parallelism: number): number {
  return index % parallelism;
}

/** Owner of the split named `name` among `parallelism` subtasks. */
export function ownerOfNamedSplit(name: string, parallelism: number): number {
  return murmur3x86_32(encoder.encode(name), 0) % parallelism;
}

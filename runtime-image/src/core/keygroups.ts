/**
 * Key groups: the unit of keyed state and of rescaling (Flink's KeyGroupRangeAssignment).
 *
 * A key is a string; its key group is `murmur3_x86_32(utf8(key), seed 0) mod maxParallelism`.
 * This hash is versioned (KEY_GROUP_HASH) and recorded in every snapshot: changing it would
 * send restored state to the wrong workers, so a snapshot taken with another hash is refused.
 *
 * Worker i of p owns the contiguous range [⌈i·maxP / p⌉, ⌊((i+1)·maxP − 1) / p⌋], written
 * with integer division as [(i·maxP + p − 1) div p, ((i+1)·maxP − 1) div p], and the owner of
 * group g is g·p div maxP — both from Flink's KeyGroupRangeAssignment
 * (computeKeyGroupRangeForOperatorIndex, computeOperatorIndexForKeyGroup).
 */
import { murmur3x86_32 } from './murmur3.ts';

/** Identifier of the key → key-group function; stored in snapshots and checked on restore. */
export const KEY_GROUP_HASH = 'murmur3_x86_32/utf8/seed0/v1';

/** Upper bound of maxParallelism (Flink's UPPER_BOUND_MAX_PARALLELISM, 2^15). */
export const MAX_MAX_PARALLELISM = 32768;

/** An inclusive range of key groups, `start ≤ end`; an empty range has `end = start − 1`. */
export interface KeyGroupRange {
  start: number;
  end: number;
}

const encoder = new TextEncoder();
let scratch = new Uint8Array(256);

/**
 * The key group of `key`.
 * @param key the record key (hashed as its UTF-8 bytes)
 * @param maxParallelism number of key groups, 1..32768
 * @returns an integer in [0, maxParallelism)
 */
export function keyGroupOf(key: string, maxParallelism: number): number {
  // UTF-8 needs at most 3 bytes per UTF-16 code unit; encode into a reused buffer (hot path).
  // ASCII keys are their own UTF-8 bytes: copied in this loop, which for short keys costs less
  // than the native encodeInto call (docs/runtime.md "Profile of wordcount").
  const n = key.length;
  if (n * 3 > scratch.length) scratch = new Uint8Array(n * 3);
  let i = 0;
  for (; i < n; i++) {
    const c = key.charCodeAt(i);
    if (c >= 0x80) break;
    scratch[i] = c;
  }
  const written = i === n ? n : encoder.encodeInto(key, scratch).written;
  return murmur3x86_32(scratch, 0, written) % maxParallelism;
}

/**
 * The key groups owned by subtask `index` of `parallelism` (Flink's
 * computeKeyGroupRangeForOperatorIndex).
 * @throws RangeError when the arguments are out of range (parallelism > maxParallelism, index ≥ parallelism, ...)
 */
export function keyGroupRangeFor(maxParallelism: number, parallelism: number, index: number): KeyGroupRange {
  checkParallelism(maxParallelism, parallelism);
  if (!Number.isInteger(index) || index < 0 || index >= parallelism) {
    throw new RangeError(`subtask index ${index} is outside [0, ${parallelism})`);
  }
  return {
    start: Math.floor((index * maxParallelism + parallelism - 1) / parallelism),
    end: Math.floor(((index + 1) * maxParallelism - 1) / parallelism),
  };
}

/**
 * The subtask that owns key group `keyGroup` (Flink's computeOperatorIndexForKeyGroup).
 * @returns an integer in [0, parallelism)
 */
export function ownerOfKeyGroup(maxParallelism: number, parallelism: number, keyGroup: number): number {
  return Math.floor((keyGroup * parallelism) / maxParallelism);
}

/**
 * Flink's default maxParallelism for a job of parallelism `p`:
 * min(max(roundUpToPowerOfTwo(p + p div 2), 128), 32768) (KeyGroupRangeAssignment.computeDefaultMaxParallelism).
 */
export function defaultMaxParallelism(parallelism: number): number {
  const wanted = parallelism + Math.floor(parallelism / 2);
  let pow = 1;
  while (pow < wanted) pow *= 2;
  return Math.min(Math.max(pow, 128), MAX_MAX_PARALLELISM);
}

/**
 * Validates a (maxParallelism, parallelism) pair.
 * @throws RangeError naming the bad value and the allowed range.
 */
export function checkParallelism(maxParallelism: number, parallelism: number): void {
  if (!Number.isInteger(maxParallelism) || maxParallelism < 1 || maxParallelism > MAX_MAX_PARALLELISM) {
    throw new RangeError(`maxParallelism ${maxParallelism} is outside [1, ${MAX_MAX_PARALLELISM}]`);
  }
  if (!Number.isInteger(parallelism) || parallelism < 1 || parallelism > maxParallelism) {
    throw new RangeError(`parallelism ${parallelism} is outside [1, maxParallelism=${maxParallelism}]`);
  }
}

/** Whether `keyGroup` lies in `range`. */
export function inRange(range: KeyGroupRange, keyGroup: number): boolean {
  return keyGroup >= range.start && keyGroup <= range.end;
}

/** The intersection of two ranges; empty (end < start) when disjoint. */
export function intersect(a: KeyGroupRange, b: KeyGroupRange): KeyGroupRange {
  return { start: Math.max(a.start, b.start), end: Math.min(a.end, b.end) };
}

/** Number of key groups in `range` (0 when empty). */
export function rangeSize(range: KeyGroupRange): number {
  return Math.max(0, range.end - range.start + 1);
}

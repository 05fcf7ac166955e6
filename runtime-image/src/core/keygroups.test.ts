import { murmur3x86_32 } from './murmur3.ts';
import {
  checkParallelism,
  defaultMaxParallelism,
  intersect,
  keyGroupOf,
  keyGroupRangeFor,
  ownerOfKeyGroup,
  rangeSize,
} from './keygroups.ts';

describe('keyGroupRangeFor (Flink KeyGroupRangeAssignment.computeKeyGroupRangeForOperatorIndex)', () => {
  it('splits 128 key groups over 3 subtasks as Flink does', () => {
    expect(keyGroupRangeFor(128, 3, 0)).toEqual({ start: 0, end: 42 });
    expect(keyGroupRangeFor(128, 3, 1)).toEqual({ start: 43, end: 85 });
    expect(keyGroupRangeFor(128, 3, 2)).toEqual({ start: 86, end: 127 });
  });

  it('gives every subtask one group when parallelism equals maxParallelism', () => {
    for (let i = 0; i < 7; i++) expect(keyGroupRangeFor(7, 7, i)).toEqual({ start: i, end: i });
  });

  it.each([
    [128, 1],
    [128, 2],
    [128, 3],
    [128, 5],
    [128, 128],
    [1000, 7],
    [32768, 13],
  ])('partitions maxP=%i over p=%i into contiguous, disjoint, covering ranges', (maxP, p) => {
    let next = 0;
    for (let i = 0; i < p; i++) {
      const r = keyGroupRangeFor(maxP, p, i);
      expect(r.start).toBe(next);
      expect(rangeSize(r)).toBeGreaterThanOrEqual(Math.floor(maxP / p));
      expect(rangeSize(r)).toBeLessThanOrEqual(Math.ceil(maxP / p));
      next = r.end + 1;
    }
    expect(next).toBe(maxP);
  });

  it('rejects out-of-range arguments', () => {
    expect(() => keyGroupRangeFor(128, 3, 3)).toThrow(RangeError);
    expect(() => keyGroupRangeFor(128, 0, 0)).toThrow(/parallelism 0/);
    expect(() => keyGroupRangeFor(4, 5, 0)).toThrow(/parallelism 5/);
    expect(() => checkParallelism(40000, 1)).toThrow(/maxParallelism 40000/);
  });
});

describe('ownerOfKeyGroup (Flink computeOperatorIndexForKeyGroup: g·p div maxP)', () => {
  it('matches the worked examples', () => {
    expect(ownerOfKeyGroup(128, 3, 0)).toBe(0);
    expect(ownerOfKeyGroup(128, 3, 42)).toBe(0);
    expect(ownerOfKeyGroup(128, 3, 43)).toBe(1);
    expect(ownerOfKeyGroup(128, 3, 85)).toBe(1);
    expect(ownerOfKeyGroup(128, 3, 86)).toBe(2);
    expect(ownerOfKeyGroup(128, 3, 127)).toBe(2);
  });

  it.each([
    [128, 3],
    [128, 5],
    [256, 6],
    [1000, 7],
    [17, 17],
  ])('agrees with the ranges for maxP=%i p=%i', (maxP, p) => {
    for (let g = 0; g < maxP; g++) {
      const owner = ownerOfKeyGroup(maxP, p, g);
      const r = keyGroupRangeFor(maxP, p, owner);
      expect(g >= r.start && g <= r.end).toBe(true);
    }
  });
});

describe('defaultMaxParallelism (Flink computeDefaultMaxParallelism)', () => {
  it.each([
    [1, 128],
    [85, 128],
    [86, 256],
    [100, 256],
    [1000, 2048],
    [30000, 32768],
  ])('p=%i → %i', (p, expected) => {
    expect(defaultMaxParallelism(p)).toBe(expected);
  });
});

describe('keyGroupOf', () => {
  it('is the unsigned murmur3 of the UTF-8 bytes modulo maxParallelism', () => {
    // murmur3_x86_32("", 0) = 0
    expect(keyGroupOf('', 128)).toBe(0);
    // 'Hello, world!' with seed 0 is not in the vectors; check range and stability instead.
    for (const k of ['a', 'b', 'hello', 'π', 'auction-17']) {
      const g = keyGroupOf(k, 128);
      expect(g).toBeGreaterThanOrEqual(0);
      expect(g).toBeLessThan(128);
      expect(keyGroupOf(k, 128)).toBe(g);
      expect(keyGroupOf(k, 32768) % 128).toBe(g);
    }
  });

  it('gives the key groups of the savepoint format for ASCII and non-ASCII keys alike', () => {
    // Pinned values (they are part of every snapshot's layout) and the definition itself.
    const keys = ['hello', 'auction-17', 'π', 'naïve-key', '😀x', `${'x'.repeat(300)}é`, 'y'.repeat(1000)];
    expect(keys.slice(0, 6).map((k) => keyGroupOf(k, 32768))).toEqual([
      31303, 25847, 19958, 20037, 24894, 14338,
    ]);
    for (const k of keys) {
      expect(keyGroupOf(k, 32768)).toBe(murmur3x86_32(Buffer.from(k, 'utf8'), 0) % 32768);
    }
    // A short key after a long one hashes only its own bytes.
    expect(keyGroupOf('hello', 32768)).toBe(31303);
  });

  it('spreads keys roughly evenly over key groups', () => {
    const counts = new Array<number>(16).fill(0);
    for (let i = 0; i < 16000; i++) counts[keyGroupOf(`key-${i}`, 16)]!++;
    for (const c of counts) {
      expect(c).toBeGreaterThan(800);
      expect(c).toBeLessThan(1200);
    }
  });
});

describe('intersect', () => {
  it('returns an empty range for disjoint ranges', () => {
    expect(rangeSize(intersect({ start: 0, end: 10 }, { start: 11, end: 20 }))).toBe(0);
    expect(intersect({ start: 0, end: 42 }, { start: 32, end: 63 })).toEqual({ start: 32, end: 42 });
  });
});

describe('keyGroupOf on long and non-ASCII keys', () => {
  it('equals hashing the TextEncoder bytes', async () => {
    const { murmur3x86_32 } = await import('./murmur3.ts');
    for (const k of ['x'.repeat(1000), 'ключ', '🔑 key', 'a'.repeat(300) + 'é']) {
      expect(keyGroupOf(k, 32768)).toBe(murmur3x86_32(new TextEncoder().encode(k), 0) % 32768);
    }
  });
});

import { ownerOfIndexedSplit, ownerOfNamedSplit, ownerOfTopicPartition } from './split-assignment.ts';

describe('split assignment', () => {
  it('gives every split exactly one owner for every parallelism', () => {
    const names = Array.from({ length: 50 }, (_, i) => `corpus/part-${i}.txt`);
    for (const p of [1, 2, 3, 5]) {
      for (const n of names) {
        const o = ownerOfNamedSplit(n, p);
        expect(o).toBeGreaterThanOrEqual(0);
        expect(o).toBeLessThan(p);
        expect(ownerOfNamedSplit(n, p)).toBe(o);
      }
      const owners = new Set(Array.from({ length: 12 }, (_, k) => ownerOfIndexedSplit(k, p)));
      expect(owners.size).toBe(p);
    }
  });

  it('spreads the partitions of a Kafka topic evenly, each with one fixed owner', () => {
    for (const p of [1, 2, 3, 4]) {
      for (const topic of ['orders', 'clicks', 'lines']) {
        const counts = new Array<number>(p).fill(0);
        for (let k = 0; k < 12; k++) {
          const o = ownerOfTopicPartition(topic, k, p);
          expect(o).toBe(ownerOfTopicPartition(topic, k, p));
          counts[o]!++;
        }
        // 12 partitions over p subtasks: exactly 12/p each (p divides 12).
        expect(counts).toEqual(new Array<number>(p).fill(12 / p));
        // Consecutive partitions go to consecutive subtasks.
        expect(ownerOfTopicPartition(topic, 1, p)).toBe((ownerOfTopicPartition(topic, 0, p) + 1) % p);
      }
    }
    // The start depends on the topic: not every topic starts at subtask 0.
    const starts = new Set(
      ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((t) => ownerOfTopicPartition(t, 0, 3)),
    );
    expect(starts.size).toBeGreaterThan(1);
  });
});

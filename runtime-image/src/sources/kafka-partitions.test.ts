import { NO_TIMESTAMP } from '../api/types.ts';
import {
  decodeRecord,
  KafkaSourceError,
  planPartitions,
  sourceWatermark,
  type KafkaPartitionSplit,
} from './kafka-partitions.ts';
import { ownerOfTopicPartition } from './split-assignment.ts';

function split(
  topic: string,
  partition: number,
  offset: number,
  stopOffset: number | null = null,
): KafkaPartitionSplit {
  return { id: `${topic}/${partition}`, topic, partition, offset, stopOffset, maxTs: -Infinity };
}

describe('planPartitions', () => {
  const counts = new Map([
    ['lines', 6],
    ['other', 2],
  ]);

  it('gives every partition exactly one owner on a fresh start', () => {
    for (const p of [1, 2, 3, 4]) {
      const all = Array.from({ length: p }, (_, s) => planPartitions(counts, undefined, s, p));
      const ids = all.flatMap((x) => x.unstarted.map((u) => `${u.topic}/${u.partition}`)).sort();
      expect(ids).toEqual([
        'lines/0',
        'lines/1',
        'lines/2',
        'lines/3',
        'lines/4',
        'lines/5',
        'other/0',
        'other/1',
      ]);
      expect(all.every((x) => x.resumed.length === 0)).toBe(true);
      all.forEach((x, s) =>
        x.unstarted.forEach((u) => expect(ownerOfTopicPartition(u.topic, u.partition, p)).toBe(s)),
      );
    }
  });

  it('on rescale 2 → 3 resumes every restored partition at its offset on its new owner', () => {
    const restored = [
      ...Array.from({ length: 6 }, (_, k) => split('lines', k, 100 + k)),
      split('other', 0, 7),
      split('other', 1, 8),
    ];
    const plans = [0, 1, 2].map((s) => planPartitions(counts, restored, s, 3));
    const resumed = plans.flatMap((x) => x.resumed).sort((a, b) => (a.id < b.id ? -1 : 1));
    expect(resumed).toEqual(restored);
    expect(plans.every((x) => x.unstarted.length === 0)).toBe(true);
  });

  it('partitions missing from the snapshot (added later) are unstarted; partitions of unsubscribed topics are dropped', () => {
    const restored = [split('lines', 0, 5), split('gone', 0, 9)];
    const plan = planPartitions(new Map([['lines', 2]]), restored, 0, 1);
    expect(plan.resumed.map((s) => s.id)).toEqual(['lines/0']);
    expect(plan.unstarted).toEqual([{ topic: 'lines', partition: 1 }]);
  });

  it('discovery returns only partitions not yet owned', () => {
    const plan = planPartitions(new Map([['lines', 3]]), undefined, 0, 1, new Set(['lines/0', 'lines/1']));
    expect(plan.unstarted).toEqual([{ topic: 'lines', partition: 2 }]);
  });
});

describe('decodeRecord', () => {
  const at = { topic: 'lines', partition: 3, offset: 42 };

  it('text: the UTF-8 value with the Kafka timestamp as event time', () => {
    expect(decodeRecord('text', undefined, Buffer.from('straße'), 1000, at)).toEqual({
      value: 'straße',
      timestamp: 1000,
    });
    expect(decodeRecord('text', undefined, Buffer.from('x'), -1, at)).toEqual({
      value: 'x',
      timestamp: NO_TIMESTAMP,
    });
  });

  it('jsonl: the parsed value; event time from a field when configured', () => {
    expect(decodeRecord('jsonl', undefined, Buffer.from('{"a":1}'), 5, at)).toEqual({
      value: { a: 1 },
      timestamp: 5,
    });
    expect(decodeRecord('jsonl', 'ts', Buffer.from('{"ts":"1970-01-01T00:00:01Z"}'), 5, at).timestamp).toBe(
      1000,
    );
    expect(decodeRecord('jsonl', 'ts', Buffer.from('{"ts":77}'), 5, at).timestamp).toBe(77);
  });

  it('fails with topic, partition and offset on a value that does not parse, a bad timestamp or a tombstone', () => {
    expect(() => decodeRecord('jsonl', undefined, Buffer.from('{oops'), 0, at)).toThrow(KafkaSourceError);
    expect(() => decodeRecord('jsonl', undefined, Buffer.from('{oops'), 0, at)).toThrow(
      /^topic lines partition 3 offset 42: the value is not JSON/,
    );
    expect(() => decodeRecord('jsonl', 'ts', Buffer.from('{"ts":"soon"}'), 0, at)).toThrow(
      'topic lines partition 3 offset 42: field ts is not a timestamp ("soon")',
    );
    expect(() => decodeRecord('text', undefined, null, 0, at)).toThrow(
      'topic lines partition 3 offset 42: the record has no value (a tombstone)',
    );
  });

  it('says why a record does not parse without its content (for the dead-letter log line)', () => {
    const reason = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        return (err as KafkaSourceError).unparsable;
      }
      return 'parsed';
    };
    expect(reason(() => decodeRecord('jsonl', undefined, Buffer.from('{oops'), 0, at))).toBe('not-json');
    expect(reason(() => decodeRecord('jsonl', 'ts', Buffer.from('{"ts":"soon"}'), 0, at))).toBe(
      'bad-timestamp',
    );
    expect(reason(() => decodeRecord('text', undefined, null, 0, at))).toBe('tombstone');
  });
});

describe('sourceWatermark', () => {
  it('is the minimum over unfinished partitions, −∞ while one has emitted nothing, +∞ when bounded and done', () => {
    const a = { ...split('t', 0, 10), maxTs: 500 };
    const b = { ...split('t', 1, 3), maxTs: 300 };
    expect(sourceWatermark([a, b], false, 50)).toBe(249);
    expect(sourceWatermark([a, split('t', 2, 0)], false, 0)).toBe(-Infinity);
    expect(
      sourceWatermark(
        [
          { ...a, stopOffset: 10 },
          { ...b, stopOffset: 9 },
        ],
        true,
        0,
      ),
    ).toBe(299);
    expect(sourceWatermark([{ ...a, stopOffset: 10 }], true, 0)).toBe(Infinity);
    expect(sourceWatermark([], false, 0)).toBe(-Infinity);
  });
});

describe('sourceWatermark with idleness', () => {
  const a = { ...split('t', 0, 10), maxTs: 500 };
  const b = { ...split('t', 1, 3), maxTs: 300 };
  const fresh = split('t', 2, 0);
  const activity = (m: Record<string, number>) => (id: string) => m[id] ?? 0;

  it('leaves partitions idle for the timeout out of the minimum', () => {
    const lastActivity = activity({ 't/0': 9_000, 't/1': 1_000, 't/2': 1_000 });
    expect(sourceWatermark([a, b, fresh], false, 0, { now: 10_000, timeoutMs: 5_000, lastActivity })).toBe(
      499,
    );
    // Not idle yet: the slow partition and the empty one still hold it back.
    expect(sourceWatermark([a, b, fresh], false, 0, { now: 5_500, timeoutMs: 5_000, lastActivity })).toBe(
      -Infinity,
    );
  });

  it('when every partition is idle, the largest of theirs (never −∞ for ever)', () => {
    const lastActivity = activity({});
    expect(sourceWatermark([a, b, fresh], false, 10, { now: 60_000, timeoutMs: 5_000, lastActivity })).toBe(
      489,
    );
  });
});

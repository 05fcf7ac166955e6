import type { KafkaPartitionSplit } from './kafka-partitions.ts';
import {
  DEAD_LETTER_METRIC,
  deadLetterRecord,
  fetchEndOffset,
  kafkaSourceMetricFamilies,
  LAG_METRIC,
  partitionLag,
  PendingGroupCommits,
} from './kafka-source-monitoring.ts';
import { renderPrometheus } from '../metrics/prometheus-text.ts';

const split = (topic: string, partition: number, offset: number): KafkaPartitionSplit => ({
  id: `${topic}/${partition}`,
  topic,
  partition,
  offset,
  stopOffset: null,
  maxTs: -Infinity,
});

describe('Kafka source lag', () => {
  it('measures to the last stable offset under read_committed, else to the high watermark', () => {
    expect(fetchEndOffset(true, 100n, 90n)).toBe(90n);
    expect(fetchEndOffset(false, 100n, 90n)).toBe(100n);
    // No last stable offset reported: the high watermark.
    expect(fetchEndOffset(true, 100n, -1n)).toBe(100n);
  });

  it('is end − next offset to emit, never negative, capped at a bounded stop offset', () => {
    expect(partitionLag(undefined, 0, null)).toBeUndefined();
    expect(partitionLag(100n, 40, null)).toBe(60);
    expect(partitionLag(100n, 100, null)).toBe(0);
    // A commit marker at 100 moved the next offset past the end the last response reported.
    expect(partitionLag(100n, 101, null)).toBe(0);
    expect(partitionLag(100n, 40, 50)).toBe(10);
    expect(partitionLag(100n, 50, 50)).toBe(0);
    expect(partitionLag(30n, 10, 50)).toBe(20);
  });

  it('renders one gauge per partition with a known end, labelled topic and partition only', () => {
    const text = renderPrometheus(
      kafkaSourceMetricFamilies(
        [
          { topic: 'in', partition: 0, lag: 7, deadLetters: 2 },
          { topic: 'in', partition: 3, lag: undefined, deadLetters: 0 },
        ],
        true,
      ),
    );
    expect(text).toContain(`# TYPE ${LAG_METRIC} gauge\n`);
    expect(text).toContain(`\n${LAG_METRIC}{topic="in",partition="0"} 7\n`);
    expect(text).not.toContain(`${LAG_METRIC}{topic="in",partition="3"}`);
    expect(text).toContain(`# TYPE ${DEAD_LETTER_METRIC} counter\n`);
    expect(text).toContain(`\n${DEAD_LETTER_METRIC}{topic="in",partition="0"} 2\n`);
    expect(text).toContain(`\n${DEAD_LETTER_METRIC}{topic="in",partition="3"} 0\n`);
  });

  it('has no dead-letter counter without a dead-letter topic', () => {
    const text = renderPrometheus(
      kafkaSourceMetricFamilies([{ topic: 'in', partition: 0, lag: 0, deadLetters: 0 }], false),
    );
    expect(text).toContain(`${LAG_METRIC}{topic="in",partition="0"} 0`);
    expect(text).not.toContain(DEAD_LETTER_METRIC);
  });
});

describe('PendingGroupCommits', () => {
  it('commits the newest snapshot ≤ the completed checkpoint, never later offsets, and forgets older ones', () => {
    const p = new PendingGroupCommits();
    p.add(1, [split('a', 0, 10), split('a', 1, 5)]);
    p.add(2, [split('a', 0, 20), split('a', 1, 6)]);
    p.add(3, [split('a', 0, 30), split('a', 1, 7)]);
    expect(p.take(2)).toEqual({
      checkpointId: 2,
      offsets: [
        { topic: 'a', partition: 0, offset: 20 },
        { topic: 'a', partition: 1, offset: 6 },
      ],
    });
    expect(p.size).toBe(1);
    // A late notification of 1 finds nothing (2 was committed).
    expect(p.take(1)).toBeUndefined();
    expect(p.take(5)?.checkpointId).toBe(3);
    expect(p.size).toBe(0);
  });

  it('keeps at most `limit` snapshots, dropping the oldest', () => {
    const p = new PendingGroupCommits(2);
    p.add(1, [split('a', 0, 1)]);
    p.add(2, [split('a', 0, 2)]);
    p.add(3, [split('a', 0, 3)]);
    expect(p.size).toBe(2);
    expect(p.take(1)).toBeUndefined();
    expect(p.take(3)?.offsets).toEqual([{ topic: 'a', partition: 0, offset: 3 }]);
  });

  it('copies the offsets: a split advancing after the barrier does not change what is committed', () => {
    const p = new PendingGroupCommits();
    const s = split('a', 0, 10);
    p.add(1, [s]);
    s.offset = 99;
    expect(p.take(1)?.offsets).toEqual([{ topic: 'a', partition: 0, offset: 10 }]);
  });
});

describe('deadLetterRecord', () => {
  it('keeps key and value bytes and names source topic, partition, offset and the error', () => {
    const key = Buffer.from([0xff, 0x00, 0x01]);
    const value = Buffer.from('{not json');
    const d = deadLetterRecord('in.dlq', { topic: 'in', partition: 2, offset: 41 }, key, value, 'bad JSON');
    expect(d.topic).toBe('in.dlq');
    expect(d.key).toEqual(key);
    expect(d.value).toEqual(value);
    const headers = Object.fromEntries([...d.headers].map(([k, v]) => [k.toString(), v.toString()]));
    expect(headers).toEqual({
      'sluice.source.topic': 'in',
      'sluice.source.partition': '2',
      'sluice.source.offset': '41',
      'sluice.error': 'bad JSON',
    });
  });

  it('writes a tombstone as a null value and a missing key as none', () => {
    const d = deadLetterRecord('dlq', { topic: 'in', partition: 0, offset: 0 }, null, null, 'tombstone');
    expect(d.key).toBeUndefined();
    expect(d.value).toBeUndefined();
  });
});

import type { V1Pod } from '@kubernetes/client-node';
import { makePod } from '../../../test/harness/operator-fixtures.ts';
import { ackMayEndSnapshot, podUpdateWakes } from './ack-wakeup.ts';

function acked(attempt: number, index: number, ack: Record<string, unknown> | undefined): V1Pod {
  const pod = makePod(attempt, index, 'ready');
  if (ack) pod.metadata!.annotations!['sluice.dev/checkpoint-ack'] = JSON.stringify(ack);
  return pod;
}
const ok = (id: number, subtask: number) => ({ id, subtask, bytes: 1, files: [] });

describe('ackMayEndSnapshot', () => {
  it('skips an ack while another worker of the attempt has not acked that id', () => {
    const first = acked(2, 0, ok(7, 0));
    expect(ackMayEndSnapshot(first, [acked(2, 0, undefined), acked(2, 1, ok(6, 1))])).toBe(false);
    expect(ackMayEndSnapshot(first, [acked(2, 1, undefined)])).toBe(false);
  });

  it('wakes on the last ack of the attempt, whatever the cache holds of the acking pod', () => {
    const last = acked(2, 1, ok(7, 1));
    expect(ackMayEndSnapshot(last, [acked(2, 0, ok(7, 0)), acked(2, 1, ok(6, 1))])).toBe(true);
    expect(ackMayEndSnapshot(last, [acked(2, 0, ok(7, 0))])).toBe(true);
  });

  it('wakes on an error ack and on an ack it cannot read', () => {
    const failed = acked(2, 0, { ...ok(7, 0), error: 'S3 PUT failed: 503' });
    expect(ackMayEndSnapshot(failed, [acked(2, 1, undefined)])).toBe(true);
    const garbled = makePod(2, 0, 'ready');
    garbled.metadata!.annotations!['sluice.dev/checkpoint-ack'] = '{not json';
    expect(ackMayEndSnapshot(garbled, [acked(2, 1, undefined)])).toBe(true);
  });

  it('counts only the pods of the same attempt that are not being deleted', () => {
    const last = acked(3, 1, ok(9, 1));
    const deleting = acked(3, 2, undefined);
    deleting.metadata!.deletionTimestamp = new Date(0);
    const olderAttempt = acked(2, 0, ok(8, 0));
    expect(ackMayEndSnapshot(last, [acked(3, 0, ok(9, 0)), deleting, olderAttempt])).toBe(true);
    expect(ackMayEndSnapshot(last, [acked(3, 0, ok(8, 0)), olderAttempt])).toBe(false);
  });
});

describe('podUpdateWakes', () => {
  it('wakes on state changes, on acks that may end the snapshot, and on nothing else', () => {
    const before = acked(2, 0, undefined);
    const others = () => [acked(2, 1, undefined)];
    expect(podUpdateWakes(before, makePod(2, 0, 'terminating'), others)).toBe(true);
    expect(podUpdateWakes(before, acked(2, 0, ok(7, 0)), others)).toBe(false);
    expect(podUpdateWakes(before, acked(2, 0, ok(7, 0)), () => [acked(2, 1, ok(7, 1))])).toBe(true);
    const relabelled = acked(2, 0, undefined);
    relabelled.metadata!.labels!.extra = 'x';
    expect(podUpdateWakes(before, relabelled, () => [])).toBe(false);
  });
});

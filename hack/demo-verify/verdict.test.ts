import { recordsReadFromMetrics } from './records.ts';
import { judge, type Sample } from './verdict.ts';

const bounds = { checkpointMs: 60_000, progressMs: 30_000 };
const s = (atMs: number, o: Partial<Sample> = {}): Sample => ({ atMs, ...o });

describe('judge', () => {
  it('passes once a checkpoint completed and the records read grew', () => {
    expect(judge([s(0, { recordsRead: 10 }), s(5000, { recordsRead: 10 })], bounds)).toEqual({
      state: 'wait',
    });
    expect(
      judge(
        [
          s(0, { recordsRead: 10 }),
          s(5000, { recordsRead: 50, lastCompletedId: 1 }),
          s(10_000, { recordsRead: 90, lastCompletedId: 2 }),
        ],
        bounds,
      ),
    ).toEqual({
      state: 'pass',
      message: 'checkpoint 2 completed (first after 5 s); records read grew from 10 to 90',
    });
  });

  it('fails when no checkpoint completed within the bound, naming the last failure', () => {
    const v = judge(
      [s(0, { recordsRead: 1 }), s(60_000, { recordsRead: 9, lastFailure: 'ack timeout' })],
      bounds,
    );
    expect(v).toEqual({
      state: 'fail',
      message:
        'no checkpoint completed within 60 s (status.checkpoints.lastCompleted is unset; last checkpoint failure: ack timeout)',
    });
  });

  it('fails when the records read do not grow within the bound', () => {
    const v = judge(
      [s(0, { recordsRead: 7, lastCompletedId: 1 }), s(30_000, { recordsRead: 7, lastCompletedId: 3 })],
      bounds,
    );
    expect(v).toEqual({ state: 'fail', message: 'no progress: the records read stayed at 7 for 30 s' });
  });

  it('fails when no worker metrics could be read, saying why', () => {
    const v = judge(
      [s(0, { recordsError: 'pod x: 503' }), s(30_000, { lastCompletedId: 1, recordsError: 'pod x: 503' })],
      bounds,
    );
    expect(v).toEqual({
      state: 'fail',
      message: "no progress measured within 30 s: the workers' /metrics could not be read (pod x: 503)",
    });
  });

  it('fails at once on a failed job and waits before any sample', () => {
    expect(judge([s(0, { phase: 'Failed' })], bounds)).toEqual({
      state: 'fail',
      message: 'the job failed (status.phase Failed)',
    });
    expect(judge([], bounds)).toEqual({ state: 'wait' });
  });
});

describe('recordsReadFromMetrics', () => {
  it('reads the stage-0 records in counter of a worker', () => {
    const text = [
      '# TYPE sluice_task_records_in_total counter',
      'sluice_task_records_in_total{job="wc",subtask="1",stage="1"} 99',
      'sluice_task_records_in_total{job="wc",subtask="1",stage="0"} 1234',
      'sluice_task_records_in_per_second{job="wc",subtask="1",stage="0"} 5',
    ].join('\n');
    expect(recordsReadFromMetrics(text)).toBe(1234);
    expect(recordsReadFromMetrics('# nothing\n')).toBeUndefined();
  });
});

import type { MeasuredCheckpoint } from './gated-job.ts';
import { laterSummary, stateDocTable, throughputTable, type StateResults } from './report.ts';

const ckpt = (durationMs: number, uploadedBytes: number, bytes: number): MeasuredCheckpoint => ({
  id: 0,
  durationMs,
  workerDurationMs: durationMs,
  bytes,
  uploadedBytes,
  sharedFiles: 1,
});

describe('state benchmark report', () => {
  it('summarises the checkpoints after the first', () => {
    const s = laterSummary([ckpt(1000, 100, 100), ckpt(10, 1, 101), ckpt(30, 102, 102), ckpt(20, 2, 103)]);
    expect(s).toEqual({
      minMs: 10,
      maxMs: 30,
      minUploaded: 1,
      maxUploaded: 102,
      meanUploaded: 35,
      lastBytes: 103,
    });
  });

  it('pairs heap and rocksdb rows of a job with their ratio', () => {
    const row = (backend: 'heap' | 'rocksdb', eps: number) => ({
      job: 'wordcount',
      backend,
      parallelism: 1,
      events: 10,
      eventsPerSecondPerWorker: eps,
      cpuCores: 1,
      eventsPerCpuSecond: eps,
      steadySeconds: 1,
      wholeRunSeconds: 1,
    });
    const t = throughputTable([row('heap', 400), row('rocksdb', 100)]);
    expect(t.split('\n')[2]).toBe('| wordcount | 10 | 400 | 100 | 0.25× | 400 | 100 | 0.25× |');
  });

  it('shows Sluice and Flink incremental runs of the same key count as rows of one table', () => {
    const run = { keys: 1000, updateFraction: 0.01, loadMs: 5, updateMs: [1, 1] };
    const results = {
      incremental: [{ ...run, checkpoints: [ckpt(100, 50, 50), ckpt(10, 1, 51), ckpt(20, 3, 52)] }],
      memory: [],
      throughput: [],
      flink: {
        version: '2.3.0',
        incremental: [{ ...run, checkpoints: [ckpt(200, 40, 40), ckpt(30, 2, 41), ckpt(40, 41, 41)] }],
      },
    } as unknown as StateResults;
    const rows = stateDocTable(results, 'incremental').split('\n').slice(2);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(/^\| Sluice incremental \| 1,000 \| 100 \|/);
    expect(rows[1]).toMatch(/^\| Flink 2\.3\.0 incremental \| 1,000 \| 200 \|/);
  });
});

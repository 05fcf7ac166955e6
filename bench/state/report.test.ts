import type { MeasuredCheckpoint } from './gated-job.ts';
import { laterSummary, throughputTable } from './report.ts';

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
});

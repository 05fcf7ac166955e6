/** Hand-written results files for the bench/ unit tests (not measured figures). */
import { parseResults, type EngineResults } from './compare-report.ts';
import type { Provenance } from './provenance.ts';

/** A provenance block both fixtures share (one run, one machine). */
export const provenance: Provenance = {
  runId: 'run-1',
  date: '2026-12-05T10:00:00.000Z',
  machine: { cpuModel: 'Test CPU', cores: 2, memoryBytes: 24 * 2 ** 30 },
  loadAverage: { start: [0.5, 0.4, 0.3], end: [0.9, 0.5, 0.3] },
  tools: { node: 'v24.11.1' },
  git: { commit: 'abc123', dirty: false },
  inputs: {
    nexmark: { partitions: 4 },
    wordcount: { partitions: 4, vocabulary: 1000, wordsPerLine: 8, seed: 1 },
  },
  parameters: { parallelism: '1,2' },
};

export const sluice: EngineResults = parseResults(
  {
    engine: 'sluice',
    version: '0.1.0+abc',
    runtime: 'node v24.11.1',
    machine: { cpus: 2, model: 'Test CPU' },
    throughput: [
      { job: 'wordcount', parallelism: 1, events: 1000, eventsPerSecondPerWorker: 60_000 },
      {
        job: 'wordcount',
        parallelism: 2,
        events: 1000,
        eventsPerSecondPerWorker: 40_000,
        eventsPerCpuSecond: 90_000,
      },
      {
        job: 'nexmark-q5',
        parallelism: 2,
        events: 1000,
        eventsPerSecondPerWorker: 300_000,
        eventsPerCpuSecond: 200_000,
      },
    ],
    latency: [
      { job: 'wordcount', parallelism: 2, rate: 50_000, p50Ms: 1, p99Ms: 40, settings: 'sluice settings' },
    ],
    checkpoints: [
      { keys: 10_000, parallelism: 2, durationMs: 100, bytes: 50_000, restoreMs: 900, backend: 'heap' },
      {
        keys: 1_000_000,
        parallelism: 2,
        durationMs: 1500,
        bytes: 3_500_000,
        restoreMs: 2500,
        backend: 'heap',
        freshStartMs: 1000,
      },
    ],
    notes: ['a sluice note'],
    provenance,
  },
  'sluice.json',
);
export const flink: EngineResults = parseResults(
  {
    engine: 'flink',
    version: '2.1.0',
    runtime: 'java 21',
    machine: { cpus: 2, model: 'Test CPU' },
    throughput: [
      { job: 'wordcount', parallelism: 1, events: 1000, eventsPerSecondPerWorker: 100_000 },
      {
        job: 'wordcount',
        parallelism: 2,
        events: 1000,
        eventsPerSecondPerWorker: 100_000,
        eventsPerCpuSecond: 100_000,
      },
      {
        job: 'nexmark-q5',
        parallelism: 2,
        events: 1000,
        eventsPerSecondPerWorker: 500_000,
        eventsPerCpuSecond: 500_000,
        variant: 'object reuse off',
      },
      {
        job: 'nexmark-q5',
        parallelism: 2,
        events: 1000,
        eventsPerSecondPerWorker: 250_000,
        eventsPerCpuSecond: 250_000,
        variant: 'object reuse on',
      },
    ],
    latency: [
      {
        job: 'wordcount',
        parallelism: 2,
        rate: 50_000,
        p50Ms: 2,
        p99Ms: 20,
        settings: 'flink settings 100',
        bufferTimeoutMs: 100,
      },
      {
        job: 'wordcount',
        parallelism: 2,
        rate: 50_000,
        p50Ms: 0.5,
        p99Ms: 8,
        settings: 'flink settings 5',
        bufferTimeoutMs: 5,
      },
    ],
    checkpoints: [
      {
        keys: 1_000_000,
        parallelism: 2,
        durationMs: 500,
        bytes: 7_000_000,
        restoreMs: 5000,
        backend: 'hashmap',
        freshStartMs: 4000,
      },
      {
        keys: 1_000_000,
        parallelism: 2,
        durationMs: 400,
        bytes: 5_000_000,
        restoreMs: 300,
        backend: 'rocksdb',
      },
    ],
    notes: [],
    provenance: { ...provenance, tools: { java: '17.0.15', flink: '2.3.0' } },
  },
  'flink.json',
);

/**
 * The worker's `/metrics` endpoint (docs/runtime.md "Metrics") scraped from real worker
 * processes: wordcount from the generator at parallelism 2 through the real TCP shuffle, a
 * checkpoint taken by the harness coordinator, then per-task counters, rates, alignment and
 * state size read back in Prometheus text format.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jobPrefix } from '@sluice/api/layout.ts';
import { setupTestEnv, type TestEnv } from '../harness/env.ts';
import { LocalCoordinator, LocalJob } from '../harness/local-workers.ts';

const LONG = 180_000;

/** `name{labels} value` lines → value by `name{labels}`. */
function parse(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

describe('runtime: /metrics', () => {
  let env: TestEnv;
  let job: LocalJob | undefined;

  beforeAll(async () => {
    env = await setupTestEnv('runtime-metrics');
  }, LONG);

  afterAll(async () => {
    await job?.stop();
    await env.cleanup();
  }, LONG);

  it(
    'reports records, rates, busy time, alignment and keyed state per stage and subtask',
    async () => {
      const name = 'wc-metrics';
      const storagePrefix = jobPrefix('sluice', 'local', name, `${name}-uid`);
      job = await LocalJob.start({
        name,
        entry: 'wordcount',
        config: {
          input: { generator: { lines: 1_000_000, rate: 2000, vocabulary: 500 } },
          output: { log: {} },
        },
        parallelism: 2,
        attempt: 0,
        minio: env.state.minio,
        bucket: env.bucket,
        storagePrefix,
        logDir: mkdtempSync(join(tmpdir(), 'sluice-metrics-')),
        env: { SLUICE_LOG_LEVEL: 'warn' },
        health: true,
      });
      await job.waitRunning();
      await job.waitFor('records processed', (s) => s.every((x) => (x?.recordsProcessed ?? 0) > 2000));
      const chk = await new LocalCoordinator(env.minio, env.bucket, storagePrefix).checkpoint(job);
      // Rates cover the last seconds of sampling (one sample a second).
      await new Promise((r) => setTimeout(r, 2500));

      for (const w of job.workers) {
        const status = (await job.status(w.index))!;
        const res = await fetch(`${w.healthUrl}/metrics`);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toContain('text/plain; version=0.0.4');
        const text = await res.text();
        expect(text).toContain('# TYPE sluice_task_busy_time_ms_per_second gauge');
        const m = parse(text);
        const at = (metric: string, stage: number) => {
          const v = m.get(`${metric}{job="${name}",subtask="${w.index}",stage="${stage}"}`);
          if (v === undefined)
            throw new Error(`no ${metric} for stage ${stage} of subtask ${w.index}:\n${text}`);
          return v;
        };
        // Counters only grow: scraped after the status was read.
        expect(at('sluice_task_records_in_total', 0)).toBeGreaterThanOrEqual(status.recordsRead);
        expect(at('sluice_task_records_in_total', 1)).toBeGreaterThanOrEqual(status.recordsProcessed);
        // Stage 0 splits lines into words (8 per line): more records out than in.
        expect(at('sluice_task_records_out_total', 0)).toBeGreaterThan(at('sluice_task_records_in_total', 0));
        // 2000 lines/s over 4 partitions, two per worker: ≈ 1000 lines/s each.
        expect(at('sluice_task_records_in_per_second', 0)).toBeGreaterThan(300);
        expect(at('sluice_task_records_in_per_second', 1)).toBeGreaterThan(1000);
        for (const stage of [0, 1]) {
          const busy = at('sluice_task_busy_time_ms_per_second', stage);
          expect(busy).toBeGreaterThan(0);
          expect(busy).toBeLessThanOrEqual(1000);
          expect(at('sluice_task_back_pressured_time_ms_per_second', stage)).toBeGreaterThanOrEqual(0);
        }
        expect(at('sluice_task_checkpoint_alignment_last_id', 1)).toBe(chk.id);
        expect(at('sluice_task_checkpoint_alignment_time_ms', 1)).toBeGreaterThanOrEqual(0);
        expect(at('sluice_task_state_checkpointed_size_bytes', 1)).toBeGreaterThan(0);
        // The vocabulary of 500 words is split between the two workers by key group.
        expect(at('sluice_task_state_keys', 1)).toBeGreaterThan(100);
        expect(at('sluice_task_state_keys', 1)).toBeLessThanOrEqual(500);
      }
    },
    LONG,
  );
});

/**
 * The worker's metric families (docs/runtime.md "Metrics"): per task (label `stage`, plus
 * `job` and `subtask`) records in/out per second, busy and back-pressured ms per second (Flink's
 * busyTimeMsPerSecond / backPressuredTimeMsPerSecond), the last checkpoint alignment, keyed
 * state size; and their totals as counters, so a scraper can compute its own rates.
 */
import type { MeterWindow, Snapshot } from './meter-window.ts';
import type { MetricFamily } from './prometheus-text.ts';

/** Labels every series carries. */
export interface WorkerLabels {
  job: string;
  subtask: number;
}

/** Metric families of `now`, with rates over `window` (see meter-window.ts). */
export function workerMetricFamilies(
  labels: WorkerLabels,
  now: Snapshot,
  window: MeterWindow,
): MetricFamily[] {
  const fam = (name: string, type: MetricFamily['type'], help: string): MetricFamily => ({
    name,
    type,
    help,
    series: [],
  });
  const recordsIn = fam(
    'sluice_task_records_in_total',
    'counter',
    'Records that entered the task (stage 0: read from the source).',
  );
  const recordsOut = fam(
    'sluice_task_records_out_total',
    'counter',
    'Records the task emitted to the shuffle or the sink.',
  );
  const busyTotal = fam(
    'sluice_task_busy_time_ms_total',
    'counter',
    'Milliseconds the task spent in synchronous work.',
  );
  const bpTotal = fam(
    'sluice_task_back_pressured_time_ms_total',
    'counter',
    'Milliseconds the task waited for output capacity.',
  );
  const inRate = fam(
    'sluice_task_records_in_per_second',
    'gauge',
    'Records in per second over the last seconds.',
  );
  const outRate = fam(
    'sluice_task_records_out_per_second',
    'gauge',
    'Records out per second over the last seconds.',
  );
  const busy = fam(
    'sluice_task_busy_time_ms_per_second',
    'gauge',
    "Busy ms per second (Flink's busyTimeMsPerSecond).",
  );
  const bp = fam(
    'sluice_task_back_pressured_time_ms_per_second',
    'gauge',
    "Back-pressured ms per second (Flink's backPressuredTimeMsPerSecond).",
  );
  const align = fam(
    'sluice_task_checkpoint_alignment_time_ms',
    'gauge',
    'Duration of the last barrier alignment: first barrier to aligned (ms).',
  );
  const alignId = fam(
    'sluice_task_checkpoint_alignment_last_id',
    'gauge',
    'Checkpoint id of the last completed alignment.',
  );
  const stateBytes = fam(
    'sluice_task_state_checkpointed_size_bytes',
    'gauge',
    'Keyed state captured at the last alignment, encoded and uncompressed (bytes).',
  );
  const stateKeys = fam(
    'sluice_task_state_keys',
    'gauge',
    'Keys in the task keyed state now (a key in two state tables counts twice).',
  );
  for (const t of now.tasks) {
    const l = { job: labels.job, subtask: String(labels.subtask), stage: String(t.stage) };
    const r = window.rates(t.stage, now);
    recordsIn.series.push({ labels: l, value: t.recordsIn });
    recordsOut.series.push({ labels: l, value: t.recordsOut });
    busyTotal.series.push({ labels: l, value: Math.round(t.busyMs) });
    bpTotal.series.push({ labels: l, value: Math.round(t.backPressuredMs) });
    inRate.series.push({ labels: l, value: round1(r.recordsInPerSecond) });
    outRate.series.push({ labels: l, value: round1(r.recordsOutPerSecond) });
    busy.series.push({ labels: l, value: round1(r.busyTimeMsPerSecond) });
    bp.series.push({ labels: l, value: round1(r.backPressuredTimeMsPerSecond) });
    if (t.stage > 0) {
      align.series.push({ labels: l, value: round1(t.lastAlignmentMs) });
      alignId.series.push({ labels: l, value: t.lastAlignedCheckpoint });
      stateBytes.series.push({ labels: l, value: t.checkpointedStateBytes });
      stateKeys.series.push({ labels: l, value: t.stateKeys });
    }
  }
  return [
    recordsIn,
    recordsOut,
    busyTotal,
    bpTotal,
    inRate,
    outRate,
    busy,
    bp,
    align,
    alignId,
    stateBytes,
    stateKeys,
  ];
}

const round1 = (v: number) => Math.round(v * 10) / 10;

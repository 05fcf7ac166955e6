/**
 * Whether a worker has processed records since it started, read from its `/metrics` body
 * (Prometheus text, docs/runtime.md "Metrics"): `sluice_task_records_in_total` counts from 0 in
 * every worker process, so a value above 0 in a new attempt's worker means that task took
 * records past the position the worker restored — stage 0 read input after its restored source
 * offsets, a stage k ≥ 1 received records through the shuffle. Pure.
 */

const RECORDS_IN = 'sluice_task_records_in_total';

/** `sluice_task_records_in_total` per `stage` label, as numbers. */
export function recordsInByStage(metrics: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of metrics.split('\n')) {
    if (!line.startsWith(`${RECORDS_IN}{`)) continue;
    const stage = /[{,]stage="([^"]*)"/.exec(line)?.[1];
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (stage !== undefined && Number.isFinite(value)) out.set(stage, value);
  }
  return out;
}

/**
 * True when at least `stages` tasks report records in and every reported task has taken at
 * least one record (so a worker whose tasks are not built yet, or one stage still idle, is not
 * processing).
 */
export function processedPastRestore(metrics: string, stages: number): boolean {
  const byStage = recordsInByStage(metrics);
  return byStage.size >= stages && [...byStage.values()].every((v) => v > 0);
}

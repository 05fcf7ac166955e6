/**
 * Records read by a worker, from its `/metrics` text (docs/runtime.md "Metrics"): the value of
 * `sluice_task_records_in_total` for stage 0 (the source task).
 */

/**
 * @returns the records read, or undefined when the text has no stage-0 series of that counter
 */
export function recordsReadFromMetrics(text: string): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith('sluice_task_records_in_total{') || !line.includes('stage="0"')) continue;
    const v = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(v)) return v;
  }
  return undefined;
}

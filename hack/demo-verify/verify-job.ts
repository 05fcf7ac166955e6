/**
 * Observes a StreamJob until verdict.ts `judge` passes or fails it: every `intervalMs` it reads
 * the job's status and the records its workers read, and logs one line per sample. The readers
 * are injected (kube-readers.ts reads through the API server; tests may read local workers).
 */
import { judge, type Bounds, type Sample, type Verdict } from './verdict.ts';

/** What the status says (status.phase, attempt, status.checkpoints). */
export interface JobObservation {
  phase?: string;
  attempt?: number;
  lastCompletedId?: number;
  lastFailure?: string;
}

export interface VerifyDeps {
  /** Reads the job's status. @throws when the job cannot be read (the verification fails) */
  readJob(): Promise<JobObservation>;
  /** Sums the records read by the job's workers; `error` when no worker could be read. */
  readRecords(job: JobObservation): Promise<{ recordsRead?: number; error?: string }>;
  /** Between samples, ms (default 5000). */
  intervalMs?: number;
  log?: (line: string) => void;
}

/** Samples until a verdict: resolves with `pass` or `fail` (never `wait`). */
export async function verifyJob(
  deps: VerifyDeps,
  bounds: Bounds,
): Promise<Exclude<Verdict, { state: 'wait' }>> {
  const t0 = performance.now();
  const samples: Sample[] = [];
  for (;;) {
    const job = await deps.readJob();
    const r = await deps.readRecords(job);
    const sample: Sample = {
      atMs: performance.now() - t0,
      ...(job.phase !== undefined ? { phase: job.phase } : {}),
      ...(job.lastCompletedId !== undefined ? { lastCompletedId: job.lastCompletedId } : {}),
      ...(job.lastFailure !== undefined ? { lastFailure: job.lastFailure } : {}),
      ...(r.recordsRead !== undefined ? { recordsRead: r.recordsRead } : {}),
      ...(r.error !== undefined ? { recordsError: r.error } : {}),
    };
    samples.push(sample);
    deps.log?.(
      `   ${(sample.atMs / 1000).toFixed(0)}s: phase ${job.phase ?? '-'}, last completed checkpoint ${job.lastCompletedId ?? '-'}, ` +
        `records read ${r.recordsRead ?? `? (${r.error})`}`,
    );
    const v = judge(samples, bounds);
    if (v.state !== 'wait') return v;
    await new Promise((res) => setTimeout(res, deps.intervalMs ?? 5000));
  }
}

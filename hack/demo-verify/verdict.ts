/**
 * Whether the demo's main job works (docs/e2e.md "Demo"): a checkpoint completes within a bound
 * and the job makes progress — the records its sources read grow while it is observed. Pure:
 * hack/demo-verify/verify-job.ts feeds it samples and acts on the verdict.
 */

/** One observation of the job. */
export interface Sample {
  /** ms since the observation began. */
  atMs: number;
  /** status.phase of the StreamJob, if any. */
  phase?: string;
  /** status.checkpoints.lastCompleted.id, if any. */
  lastCompletedId?: number;
  /** status.checkpoints.lastFailure.message, if any (for the failure message). */
  lastFailure?: string;
  /** Records read by the sources of all workers (sum of /metrics stage 0 records in); undefined when unreadable. */
  recordsRead?: number;
  /** Why recordsRead could not be read. */
  recordsError?: string;
}

/** Bounds of the check, ms since the observation began. */
export interface Bounds {
  /** A checkpoint must have completed by then. */
  checkpointMs: number;
  /** Records read must have grown by then. */
  progressMs: number;
}

export type Verdict =
  { state: 'wait' } | { state: 'pass'; message: string } | { state: 'fail'; message: string };

/**
 * The verdict after `samples` (oldest first; the last is the newest).
 * - fail at once when the job's phase is Failed;
 * - pass once a checkpoint completed and records read grew between two samples;
 * - fail once a bound passed without its condition; wait otherwise.
 */
export function judge(samples: Sample[], bounds: Bounds): Verdict {
  const last = samples[samples.length - 1];
  if (!last) return { state: 'wait' };
  if (last.phase === 'Failed') return { state: 'fail', message: 'the job failed (status.phase Failed)' };
  const completed = samples.find((s) => s.lastCompletedId !== undefined);
  const read = samples.filter((s) => s.recordsRead !== undefined);
  const first = read[0];
  const grown = first ? read.find((s) => s.recordsRead! > first.recordsRead!) : undefined;
  if (completed && grown) {
    return {
      state: 'pass',
      message:
        `checkpoint ${last.lastCompletedId ?? completed.lastCompletedId} completed (first after ${seconds(completed.atMs)} s); ` +
        `records read grew from ${first!.recordsRead} to ${read[read.length - 1]!.recordsRead}`,
    };
  }
  if (!completed && last.atMs >= bounds.checkpointMs) {
    const why = last.lastFailure ? `; last checkpoint failure: ${last.lastFailure}` : '';
    return {
      state: 'fail',
      message: `no checkpoint completed within ${seconds(bounds.checkpointMs)} s (status.checkpoints.lastCompleted is unset${why})`,
    };
  }
  if (!grown && last.atMs >= bounds.progressMs) {
    if (!first) {
      const why = [...samples].reverse().find((s) => s.recordsError)?.recordsError ?? 'no worker answered';
      return {
        state: 'fail',
        message: `no progress measured within ${seconds(bounds.progressMs)} s: the workers' /metrics could not be read (${why})`,
      };
    }
    return {
      state: 'fail',
      message: `no progress: the records read stayed at ${first.recordsRead} for ${seconds(last.atMs - first.atMs)} s`,
    };
  }
  return { state: 'wait' };
}

const seconds = (ms: number) => String(Math.round(ms / 100) / 10);

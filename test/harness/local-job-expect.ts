/** Assertions about LocalJob runs, for jest tests (benchmarks use local-workers.ts without them). */
import { expect } from '@jest/globals';
import type { LocalJob } from './local-workers.ts';

/**
 * Bounded input: the first checkpoint after the end (`checkpointId`) is final; once it is
 * committed every worker logs `finished` with that id and exits 0.
 */
export async function expectFinishedAt(job: LocalJob, checkpointId: number): Promise<void> {
  for (const w of job.workers) expect(await w.exit).toEqual({ code: 0, signal: null });
  expect(
    job.workers.map(
      (w) =>
        job.logLines(w.index).find((l) => l.msg === 'finished: all input processed and committed')
          ?.checkpointId,
    ),
  ).toEqual(job.workers.map(() => checkpointId));
}

/**
 * One step of a running attempt, after the reconciler converged its pods (docs/operator.md
 * "The reconciler and the checkpoint coordinator"), in this order:
 *
 *  1. the checkpoint progress check (checkpoint-progress.ts): a job restarted for lack of
 *     progress needs nothing else in this reconcile;
 *  2. the coordinator observes the attempt's pods and writes a final notice a crash left behind;
 *  3. failure recovery (recovery.ts): a failed worker replaces the attempt (not while a suspend's
 *     stop-with-savepoint runs: the job is stopping anyway);
 *  4. otherwise snapshot coordination (checkpoint/checkpoint-coordinator.ts);
 *  5. savepoints beyond retention are disposed of.
 *
 * The lifecycle decides whether the attempt lives on; the coordinator only snapshots it.
 */
import type { CheckpointCoordinator, CoordinatorStepInput } from '../checkpoint/checkpoint-coordinator.ts';
import type { Recovery, RecoveryResult } from './recovery.ts';

/** See the module comment. */
export class AttemptSupervisor {
  readonly #coordinator: CheckpointCoordinator;
  readonly #recovery: Recovery;

  constructor(coordinator: CheckpointCoordinator, recovery: Recovery) {
    this.#coordinator = coordinator;
    this.#recovery = recovery;
  }

  /**
   * One step; see the module comment. Returns the job as last written, when to look again (ms)
   * and a problem that keeps the job Failed for the reconciler to show as Degraded (status.ts).
   */
  async step(input: CoordinatorStepInput): Promise<RecoveryResult> {
    const { storage, subject, ctx } = input;
    const progress = await this.#recovery.checkProgress(input.job, storage, subject, ctx);
    if (progress.restarted) return progress;
    const r = await this.#attempt({ ...input, job: progress.job });
    const job = await this.#coordinator.disposeSavepoints({ ...input, job: r.job });
    const after = [r.requeueAfterMs, progress.requeueAfterMs].filter((ms) => ms !== undefined);
    const problem = r.problem ?? progress.problem;
    return {
      job,
      ...(after.length > 0 ? { requeueAfterMs: Math.min(...after) } : {}),
      ...(problem ? { problem } : {}),
    };
  }

  async #attempt(input: CoordinatorStepInput): Promise<RecoveryResult> {
    const observed = await this.#coordinator.observe(input.job);
    if (!observed) return { job: input.job };
    const { job, pods } = observed;
    const { storage, subject, ctx } = input;
    const recovered: RecoveryResult | undefined =
      job.spec.state === 'suspended'
        ? undefined
        : await this.#recovery.recoverWorkers(job, storage, pods, subject, ctx);
    return recovered ?? this.#coordinator.coordinate({ ...input, job }, pods);
  }
}

/**
 * The I/O shell of failure recovery (docs/checkpointing.md "Failure recovery"), used by the
 * checkpoint coordinator: replaces the current attempt by a new one restored from the newest
 * readable snapshot, or ends the job in phase Failed. Decisions are pure
 * (failure-recovery.ts `decideRecovery`, worker-errors.ts); this module reads pods and storage
 * and writes the new attempt to status with a resourceVersion precondition — the intent the
 * core then converges the pods to (docs/operator.md "Seams for the checkpoint coordinator").
 */
import type { V1Pod } from '@kubernetes/client-node';
import { checkpointDir } from '../../../api/src/layout.ts';
import { readMetadata } from '../../../api/src/metadata-store.ts';
import type { RestoredFrom, StreamJob } from '../../../api/src/streamjob.ts';
import type { Clock } from '../kube/clock.ts';
import type { ReconcileContext } from '../kube/controller.ts';
import type { EventRecorder, EventSubject } from '../kube/events.ts';
import { attemptStartedConditions, rfc3339 } from '../streamjob/conditions.ts';
import { workerPodName } from '../streamjob/names.ts';
import { ProblemError } from '../streamjob/problem.ts';
import type { Problem } from '../streamjob/status.ts';
import type { EffectiveStorage } from '../streamjob/storage.ts';
import type { StreamJobClient } from '../streamjob/streamjob-client.ts';
import { observeWorker } from '../streamjob/workers.ts';
import {
  attemptHasRun,
  decideRecovery,
  restoreCandidates,
  WORKER_FAILED,
  workerHealth,
  type WorkerHealth,
} from './failure-recovery.ts';
import { CHECKPOINT_PROGRESS_TIMEOUT, judgeCheckpointProgress } from './checkpoint-progress.ts';
import { recordRestart, restartRefusal } from './restart-rate.ts';
import { storedCheckpoints } from './checkpoint-store.ts';
import { abortedStatus } from './snapshot-status.ts';
import { unrestorableReason } from './restorable-metadata.ts';
import type { NodeHealth } from '../streamjob/node-loss.ts';
import type { StorageClient } from './storage-client.ts';
import { attemptParallelism } from './upgrade.ts';

/** Dependencies of {@link Recovery}. */
export interface RecoveryOptions {
  jobs: StreamJobClient;
  events: EventRecorder;
  clock: Clock;
  /** An S3 client for the job's storage, with the credentials its workers use. */
  s3(job: StreamJob, storage: EffectiveStorage, signal: AbortSignal): Promise<StorageClient>;
  /** The job's snapshot key (streamjob/snapshot-key.ts). @throws ProblemError SnapshotKeyMissing */
  snapshotKey(job: StreamJob): Promise<Buffer>;
  /** Lost nodes (streamjob/node-watch.ts); a worker on one has failed. Unset: never lost. */
  nodes?: NodeHealth;
}

/** What a recovery step did: the job as last written, when to look again, a terminal problem. */
export interface RecoveryResult {
  job: StreamJob;
  requeueAfterMs?: number;
  /** Why the job is Failed for good (until its spec changes or a restart is requested). */
  problem?: Problem;
}

/** See the module comment. */
export class Recovery {
  readonly #o: RecoveryOptions;

  constructor(options: RecoveryOptions) {
    this.#o = options;
  }

  /**
   * Failure recovery: when a worker of the current attempt failed (exited non-zero, or not
   * ready past spec.restartPolicy.notReadyTimeoutSeconds), start the next attempt restored from
   * the newest snapshot whose `_metadata` reads back valid, after the restart backoff and within
   * the budget; a failure a restart cannot fix ends the job at once. Undefined when there is
   * nothing to recover.
   * @param pods the current attempt's pods, not being deleted
   */
  async recoverWorkers(
    job: StreamJob,
    storage: EffectiveStorage,
    pods: V1Pod[],
    subject: EventSubject,
    ctx: ReconcileContext,
  ): Promise<RecoveryResult | undefined> {
    const now = this.#o.clock.now();
    const policy = job.spec.restartPolicy;
    const workers: WorkerHealth[] = pods.map((pod) => workerHealth(pod, now, policy, this.#o.nodes));
    // Workers missing from an attempt that has run count as failed (failure-recovery.ts attemptHasRun).
    const p = attemptParallelism(job);
    if (
      attemptHasRun(
        job.status,
        pods.map((pod) => observeWorker(pod).state),
      )
    ) {
      const present = new Set(pods.map((pod) => observeWorker(pod).index));
      for (let i = 0; i < p; i++) {
        if (!present.has(i))
          workers.push({
            name: workerPodName(job.metadata!.name!, job.status?.attempt ?? 0, i),
            failed: true,
            detail: 'pod deleted',
          });
      }
    }
    const restarts = job.status?.restarts ?? 0;
    const started = job.status?.attemptStartedAt;
    const d = decideRecovery({
      now,
      policy,
      restarts,
      recentRestarts: job.status?.recentRestarts,
      workers,
      ...(started ? { attemptStartedAt: Date.parse(started) } : {}),
    });
    if (d.action === 'none') return undefined;
    if (d.action === 'wait') {
      ctx.log.info({}, d.message);
      return { job, requeueAfterMs: d.requeueAfterMs };
    }
    if (d.action === 'fail' || d.action === 'giveUp') {
      // The core keeps phase Failed while the failed workers are there and shows the problem as
      // Degraded, with a Warning Event of its reason; a spec change or a restart request starts a
      // new attempt. The verdict does not change while those workers are there (restart-rate.ts).
      if (job.status?.phase !== 'Failed') {
        job = await this.#o.jobs.writeStatus(job, { ...(job.status ?? {}), phase: 'Failed' });
        ctx.log.warn({ reason: d.reason }, d.message);
      }
      return { job, problem: { reason: d.reason, message: d.message } };
    }
    return this.restart(job, storage, subject, ctx, {
      attemptReason: WORKER_FAILED,
      eventReason: WORKER_FAILED,
      message: d.message,
    });
  }

  /**
   * Checkpoint progress (checkpoint-progress.ts): restarts a running job whose last completed
   * snapshot is older than spec.restartPolicy.checkpointProgressTimeoutSeconds, within the
   * restart budget and rate (restart-rate.ts). When they do not allow it, the job runs on and
   * `problem` says why it was not restarted. `requeueAfterMs`: when the window ends.
   */
  async checkProgress(
    job: StreamJob,
    storage: EffectiveStorage,
    subject: EventSubject,
    ctx: ReconcileContext,
  ): Promise<RecoveryResult & { restarted: boolean }> {
    const v = judgeCheckpointProgress(job, this.#o.clock.now());
    if (v.action === 'none') return { job, restarted: false };
    if (v.action === 'wait') return { job, requeueAfterMs: v.requeueAfterMs, restarted: false };
    const policy = job.spec.restartPolicy;
    const refusal = restartRefusal(
      policy,
      job.status?.restarts ?? 0,
      job.status?.recentRestarts,
      v.stalledAt,
      v.message,
    );
    if (refusal) {
      const message = `${refusal.message}; the job is not restarted and runs on without checkpoint progress`;
      return { job, problem: { reason: refusal.reason, message }, restarted: false };
    }
    const r = await this.restart(job, storage, subject, ctx, {
      attemptReason: CHECKPOINT_PROGRESS_TIMEOUT,
      eventReason: CHECKPOINT_PROGRESS_TIMEOUT,
      message: `${v.message}; restart ${(job.status?.restarts ?? 0) + 1} of at most ${policy.maxRestarts}`,
    });
    return { ...r, restarted: true };
  }

  /**
   * Starts the next attempt restored from the newest readable snapshot: `attempt`+1,
   * `restarts`+1 (its time in `recentRestarts`), phase Restarting, a snapshot in progress
   * aborted; Warning Event `eventReason`.
   * @throws ProblemError NoRestorableSnapshot (see {@link verifiedRestoreSource})
   */
  async restart(
    job: StreamJob,
    storage: EffectiveStorage,
    subject: EventSubject,
    ctx: ReconcileContext,
    why: { attemptReason: string; eventReason: string; message: string },
  ): Promise<RecoveryResult> {
    const now = this.#o.clock.now();
    const restoredFrom = await this.verifiedRestoreSource(job, storage, subject, ctx.signal);
    const attempt = (job.status?.attempt ?? 0) + 1;
    let status = job.status ?? {};
    const inProgress = status.checkpoints?.inProgress;
    if (inProgress) {
      status = abortedStatus(
        status,
        inProgress,
        why.attemptReason === WORKER_FAILED ? 'WorkerFailed' : 'AttemptEnded',
        `${inProgress.kind ?? 'checkpoint'} ${inProgress.id} abandoned: ${why.message}`,
        now,
      );
    }
    const from = restoredFrom
      ? `restoring ${restoredFrom.kind ?? 'snapshot'} ${restoredFrom.path}`
      : 'without state (no completed snapshot yet)';
    const message = `${why.message}: starting attempt ${attempt}, ${from}`;
    status = {
      ...status,
      attempt,
      attemptStartedAt: rfc3339(now),
      attemptReason: why.attemptReason,
      restoredFrom,
      restarts: (status.restarts ?? 0) + 1,
      recentRestarts: recordRestart(job.spec.restartPolicy, status.recentRestarts, now),
      phase: 'Restarting',
      workers: { ready: 0, total: attemptParallelism(job) },
      conditions: attemptStartedConditions(status.conditions, attempt, message, now),
    };
    // Intent first: the core deletes the old attempt's pods and creates the new ones from it.
    job = await this.#o.jobs.writeStatus(job, status);
    this.#o.events.record(subject, {
      type: 'Warning',
      reason: why.eventReason,
      action: 'RestartAttempt',
      note: message,
    });
    ctx.log.warn({ attempt, restoredFrom: restoredFrom?.path }, message);
    return { job, requeueAfterMs: 100 };
  }

  /**
   * The newest restore candidate (failure-recovery.ts restoreCandidates) whose `_metadata` reads
   * back valid — with the job's MAC when it is under the job's prefix, and covering every key
   * group with listed files (metadata-coverage.ts); a Warning Event names each one skipped (for
   * a forged one: "MAC does not match"). Undefined when the job has no snapshot.
   * @throws ProblemError NoRestorableSnapshot (shown as Degraded) when snapshots exist but none is
   *   readable: restarting without state would lose data
   */
  async verifiedRestoreSource(
    job: StreamJob,
    storage: EffectiveStorage,
    subject: EventSubject,
    signal: AbortSignal,
  ): Promise<RestoredFrom | undefined> {
    const s3 = await this.#o.s3(job, storage, signal);
    const stored = await storedCheckpoints(storage, s3);
    const completed = [...stored]
      .filter(([, e]) => e.complete)
      .map(([id]) => ({ id, path: checkpointDir(storage.jobPrefix, id) }));
    const candidates = restoreCandidates(job.status ?? {}, completed);
    const problems: string[] = [];
    let key: Buffer | undefined;
    const jobKey = async () => (key ??= await this.#o.snapshotKey(job));
    for (const c of candidates) {
      try {
        const metadata = await readMetadata(s3, storage.bucket, c.path);
        // The job's own snapshots must carry its MAC; others (spec.initialSavepoint of another
        // job) are only checked for completeness here (docs/security.md "Snapshot integrity").
        const where = { bucket: storage.bucket, dir: c.path, jobPrefix: storage.jobPrefix };
        const problem = await unrestorableReason(metadata, where, jobKey);
        if (problem) throw new Error(problem);
        if (problems.length > 0) {
          this.#o.events.record(subject, {
            type: 'Warning',
            reason: 'RestoreFallback',
            action: 'ChooseRestoreSource',
            note: `restoring ${c.kind ?? 'snapshot'} ${c.path} instead: ${problems.join('; ')}`,
          });
        }
        return c;
      } catch (err) {
        problems.push((err as Error).message);
      }
    }
    if (candidates.length === 0) return undefined;
    throw new ProblemError(
      'NoRestorableSnapshot',
      `no readable snapshot to restore StreamJob ${job.metadata!.namespace}/${job.metadata!.name} from: ${problems.join('; ')}; restore one into storage or set spec.initialSavepoint and request a restart`,
    );
  }
}

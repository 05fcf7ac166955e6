/**
 * The I/O shell of failure recovery (docs/checkpointing.md "Failure recovery"), run by the
 * attempt supervisor (attempt-supervisor.ts): replaces the current attempt by a new one restored from the newest
 * readable snapshot, or ends the job in phase Failed. Decisions are pure
 * (failure-recovery.ts `decideRecovery`, worker-errors.ts); this module reads pods and storage
 * and writes the new attempt to status with a resourceVersion precondition — the intent the
 * reconciler then converges the pods to (docs/operator.md "The reconciler and the checkpoint
 * coordinator").
 */
import type { V1Pod } from '@kubernetes/client-node';
import { checkpointDir, sharedStateDir } from '@sluice/api/layout.ts';
import { readMetadata } from '@sluice/api/metadata-store.ts';
import type { SnapshotMetadata } from '@sluice/api/metadata.ts';
import type { RestoredFrom, StreamJob } from '@sluice/api/streamjob.ts';
import type { Clock } from '../kube/clock.ts';
import type { ReconcileContext } from '../kube/controller.ts';
import type { EventRecorder, EventSubject } from '../kube/events.ts';
import { startedAttemptStatus } from './attempt.ts';
import { workerPodName } from '../streamjob/names.ts';
import { ProblemError } from '../streamjob/problem.ts';
import type { Problem } from '../streamjob/status.ts';
import type { EffectiveStorage } from '../streamjob/storage.ts';
import type { StreamJobClient } from '../streamjob/streamjob-client.ts';
import { observeWorker } from '../streamjob/workers.ts';
import {
  attemptHasRun,
  corruptedRestoreSource,
  decideRecovery,
  restoreCandidates,
  WORKER_FAILED,
  workerHealth,
  type WorkerHealth,
} from './failure-recovery.ts';
import { CHECKPOINT_PROGRESS_TIMEOUT, judgeCheckpointProgress } from './checkpoint-progress.ts';
import { recordRestart, restartRefusal } from './restart-rate.ts';
import { storedCheckpoints } from '../checkpoint/checkpoint-store.ts';
import { abortedStatus } from '../checkpoint/snapshot-status.ts';
import { unrestorableReason } from '../checkpoint/restorable-metadata.ts';
import { sharedFilesProblem } from '../checkpoint/shared-state-store.ts';
import type { NodeHealth } from '../streamjob/node-loss.ts';
import type { StorageClient } from '../s3/storage-client.ts';
import { attemptParallelism } from '../streamjob/upgrade-state.ts';
import {
  describeSnapshot,
  judgeRestoreFallback,
  RESTORE_FALLBACK_REFUSED,
  storageDidNotAnswer,
  type SkippedSource,
} from './restore-fallback.ts';
import { boundText } from '../kube/bounded-text.ts';

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
      unavailableRestarts: job.status?.unavailableRestarts ?? 0,
    });
    if (d.action === 'none') return undefined;
    if (d.action === 'wait') {
      ctx.log.info({}, d.message);
      return { job, requeueAfterMs: d.requeueAfterMs, ...(d.problem ? { problem: d.problem } : {}) };
    }
    if (d.action === 'fail' || d.action === 'giveUp') {
      // The reconciler keeps phase Failed while the failed workers are there and shows the problem as
      // Degraded, with a Warning Event of its reason; a spec change or a restart request starts a
      // new attempt. The verdict does not change while those workers are there (restart-rate.ts).
      if (job.status?.phase !== 'Failed') {
        job = await this.#o.jobs.writeStatus(job, { ...(job.status ?? {}), phase: 'Failed' });
        ctx.log.warn({ reason: d.reason }, d.message);
      }
      return { job, problem: { reason: d.reason, message: d.message } };
    }
    // A snapshot the workers found corrupted is not restored again (failure-recovery.ts).
    const corrupted = corruptedRestoreSource(job.status, workers);
    try {
      return await this.restart(job, storage, subject, ctx, {
        attemptReason: d.unavailable ?? WORKER_FAILED,
        eventReason: d.unavailable ?? WORKER_FAILED,
        message: d.message,
        ...(d.unavailable ? { outsideBudget: true } : {}),
        ...(corrupted ? { corrupted } : {}),
      });
    } catch (err) {
      // Only a snapshot that would publish committed output twice is left (restore-fallback.ts):
      // Failed like a failure a restart cannot fix, until the snapshot is readable again (any
      // later reconcile looks again), a restart is requested, or the job opts in.
      if (!(err instanceof ProblemError) || err.reason !== RESTORE_FALLBACK_REFUSED) throw err;
      if (job.status?.phase !== 'Failed') {
        job = await this.#o.jobs.writeStatus(job, { ...(job.status ?? {}), phase: 'Failed' });
        ctx.log.warn({ reason: err.reason }, err.message);
      }
      return {
        job,
        problem: {
          reason: err.reason,
          message: boundText(`not restarted after a worker failure: ${err.message}`),
        },
      };
    }
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
    try {
      const r = await this.restart(job, storage, subject, ctx, {
        attemptReason: CHECKPOINT_PROGRESS_TIMEOUT,
        eventReason: CHECKPOINT_PROGRESS_TIMEOUT,
        message: `${v.message}; restart ${(job.status?.restarts ?? 0) + 1} of at most ${policy.maxRestarts}`,
      });
      return { ...r, restarted: true };
    } catch (err) {
      // Its workers are up: the job runs on without a restart, Degraded with the refusal.
      if (!(err instanceof ProblemError) || err.reason !== RESTORE_FALLBACK_REFUSED) throw err;
      const message = `${v.message}; ${err.message}; the job runs on without checkpoint progress`;
      return { job, problem: { reason: err.reason, message: boundText(message) }, restarted: false };
    }
  }

  /**
   * Starts the next attempt restored from the newest readable snapshot: `attempt`+1,
   * `restarts`+1 (its time in `recentRestarts`) — or, `outsideBudget` (an unavailable external
   * system), `unavailableRestarts`+1 instead — phase Restarting, a snapshot in progress
   * aborted; Warning Event `eventReason`.
   * @throws ProblemError NoRestorableSnapshot (see {@link verifiedRestoreSource})
   */
  async restart(
    job: StreamJob,
    storage: EffectiveStorage,
    subject: EventSubject,
    ctx: ReconcileContext,
    why: {
      attemptReason: string;
      eventReason: string;
      message: string;
      outsideBudget?: boolean;
      /** A snapshot the failed workers found corrupted: passed over. */
      corrupted?: SkippedSource;
    },
  ): Promise<RecoveryResult> {
    const now = this.#o.clock.now();
    const restoredFrom = await this.verifiedRestoreSource(job, storage, subject, ctx.signal, why.corrupted);
    const attempt = (job.status?.attempt ?? 0) + 1;
    let status = job.status ?? {};
    const inProgress = status.checkpoints?.inProgress;
    if (inProgress) {
      status = abortedStatus(
        status,
        inProgress,
        why.attemptReason === WORKER_FAILED || why.outsideBudget ? 'WorkerFailed' : 'AttemptEnded',
        `${inProgress.kind ?? 'checkpoint'} ${inProgress.id} abandoned: ${why.message}`,
        now,
      );
    }
    const from = restoredFrom
      ? `restoring ${restoredFrom.kind ?? 'snapshot'} ${restoredFrom.path}`
      : 'without state (no completed snapshot yet)';
    const message = `${why.message}: starting attempt ${attempt}, ${from}`;
    status = {
      ...startedAttemptStatus(status, {
        attempt,
        reason: why.attemptReason,
        restoredFrom,
        parallelism: attemptParallelism(job),
        phase: 'Restarting',
        message,
        now,
      }),
      ...(why.outsideBudget
        ? { unavailableRestarts: (status.unavailableRestarts ?? 0) + 1 }
        : {
            restarts: (status.restarts ?? 0) + 1,
            recentRestarts: recordRestart(job.spec.restartPolicy, status.recentRestarts, now),
          }),
    };
    // Intent first: the reconciler deletes the old attempt's pods and creates the new ones from it.
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
   * group with listed files (metadata-coverage.ts); a Warning Event `RestoreFallback` names each
   * one skipped (for a forged one: "MAC does not match"). Undefined when the job has no snapshot.
   * A candidate older than the newest committed snapshot is taken only with
   * spec.recovery.allowReplayedOutput (restore-fallback.ts).
   * @throws ProblemError NoRestorableSnapshot (shown as Degraded) when snapshots exist but none is
   *   readable: restarting without state would lose data
   * @throws ProblemError RestoreFallbackRefused when the only readable candidate would publish
   *   committed output twice and the job did not opt in
   * @throws Error (retried by the reconciler) when such a fallback is refused but a newer
   *   candidate was skipped because the storage did not answer: it may be readable on retry
   */
  async verifiedRestoreSource(
    job: StreamJob,
    storage: EffectiveStorage,
    subject: EventSubject,
    signal: AbortSignal,
    corrupted?: SkippedSource,
  ): Promise<RestoredFrom | undefined> {
    const s3 = await this.#o.s3(job, storage, signal);
    const stored = await storedCheckpoints(storage, s3);
    const completed = [...stored]
      .filter(([, e]) => e.complete)
      .map(([id]) => ({ id, path: checkpointDir(storage.jobPrefix, id) }));
    const candidates = restoreCandidates(job.status ?? {}, completed);
    const skipped: SkippedSource[] = [];
    const errors: unknown[] = [];
    let key: Buffer | undefined;
    const jobKey = async () => (key ??= await this.#o.snapshotKey(job));
    const sharedSizes: { value?: Map<string, number> } = {};
    for (const c of candidates) {
      if (c.path === corrupted?.source.path) {
        skipped.push({ source: c, problem: corrupted.problem });
        continue;
      }
      try {
        const metadata = await readMetadata(s3, storage.bucket, c.path);
        // The job's own snapshots must carry its MAC; others (spec.initialSavepoint of another
        // job) are only checked for completeness here (docs/security.md "Snapshot integrity").
        const where = { bucket: storage.bucket, dir: c.path, jobPrefix: storage.jobPrefix };
        const problem =
          (await unrestorableReason(metadata, where, jobKey)) ??
          (await this.#sharedFilesProblem(metadata, storage, s3, sharedSizes));
        if (problem) throw new Error(problem);
      } catch (err) {
        skipped.push({ source: c, problem: (err as Error).message });
        errors.push(err);
        continue;
      }
      if (skipped.length === 0) return c;
      const verdict = judgeRestoreFallback({
        status: job.status,
        chosen: c,
        skipped,
        allowReplayedOutput: job.spec.recovery?.allowReplayedOutput === true,
      });
      if (verdict.action === 'refuse') {
        if (errors.some(storageDidNotAnswer)) {
          throw new Error(
            `not restarting yet: ${skipped.map((s) => s.problem).join('; ')}; the older ${describeSnapshot(c)} would publish committed output twice`,
          );
        }
        throw new ProblemError(RESTORE_FALLBACK_REFUSED, boundText(verdict.message));
      }
      this.#o.events.record(subject, {
        type: 'Warning',
        reason: 'RestoreFallback',
        action: 'ChooseRestoreSource',
        note: boundText(
          `restoring ${c.kind ?? 'snapshot'} ${c.path} instead: ${skipped.map((s) => s.problem).join('; ')}` +
            (verdict.replaysOutput
              ? '; spec.recovery.allowReplayedOutput is true: the output committed after it is published again'
              : ''),
        ),
      });
      return c;
    }
    if (candidates.length === 0) return undefined;
    throw new ProblemError(
      'NoRestorableSnapshot',
      `no readable snapshot to restore StreamJob ${job.metadata!.namespace}/${job.metadata!.name} from: ${skipped.map((s) => s.problem).join('; ')}; restore one into storage or set spec.initialSavepoint and request a restart`,
    );
  }

  /** Incremental checkpoints: a shared file `metadata` lists is missing or has another size (one LIST, cached in `cache`). */
  async #sharedFilesProblem(
    metadata: SnapshotMetadata,
    storage: EffectiveStorage,
    s3: StorageClient,
    cache: { value?: Map<string, number> },
  ): Promise<string | undefined> {
    if (!metadata.workers.some((w) => (w.sharedFiles ?? []).length > 0)) return undefined;
    const root = `${sharedStateDir(storage.jobPrefix)}/`;
    cache.value ??= await s3.listSizes(storage.bucket, root);
    return sharedFilesProblem(metadata, cache.value, root, storage.bucket);
  }
}

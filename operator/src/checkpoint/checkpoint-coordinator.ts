/**
 * The checkpoint coordinator's I/O shell: snapshot coordination for a running StreamJob, one
 * {@link CheckpointCoordinator.coordinate} per reconcile, which the attempt supervisor
 * (lifecycle/attempt-supervisor.ts) runs after failure recovery. Decisions are pure (trigger-policy.ts `decide`, snapshot-status.ts,
 * retention.ts); this module reads pods and storage and writes, in the protocol's order
 * (docs/checkpointing.md "Protocol (operator ↔ workers)"):
 *
 *  1. trigger: persist id N in status.checkpoints.inProgress/lastTriggered (resourceVersion
 *     precondition), then annotate `sluice.dev/checkpoint-request` (with the attempt) once, on
 *     the StreamJob, which every worker watches;
 *  2. complete (every subtask's `sluice.dev/checkpoint-ack` for N read from the pods): write
 *     `<dir>/_metadata` with `If-None-Match: *`, then record lastCompleted (or savepoints.last) —
 *     that status write is the commit notice (sinks commit); when every ack was final, then
 *     annotate `sluice.dev/checkpoint-final: N` on the StreamJob;
 *  3. abort (timeout or a worker's error ack): record the failure, CheckpointsHealthy=False,
 *     Warning Event; the job keeps running;
 *  4. retention (checkpoint-store.ts): delete completed checkpoint directories beyond
 *     spec.checkpoint.retained restorable ones and leftovers of aborted ones (never savepoints,
 *     never one a restore may still need).
 *
 * Every step is idempotent and re-derived from status, the StreamJob's annotations and the pods'
 * acks, so an operator that crashes between two writes converges on the next reconcile: a
 * request missing on the StreamJob is written again, a final notice behind status is written
 * again, and a `_metadata` that already exists (412) is read back instead of rewritten.
 */
import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';
import { checkpointDir, savepointDir } from '@sluice/api/layout.ts';
import { signMetadata } from '@sluice/api/snapshot-mac.ts';
import type { StreamJob } from '@sluice/api/streamjob.ts';
import type { Clock } from '../kube/clock.ts';
import type { ReconcileContext } from '../kube/controller.ts';
import type { EventRecorder, EventSubject } from '../kube/events.ts';
import { NONCE_PATTERN, pendingRequests } from '../streamjob/requests.ts';
import type { EffectiveStorage } from '../streamjob/storage.ts';
import type { StreamJobClient } from '../streamjob/streamjob-client.ts';
import type { ClusterCache } from '../streamjob/cluster-cache.ts';
import { observeWorker } from '../streamjob/workers.ts';
import { applyRetention } from './checkpoint-store.ts';
import { collectSharedFiles } from './shared-state-store.ts';
import { StorageClient, type StorageCredentials } from '../s3/storage-client.ts';
import { periodicSavepointDue } from './savepoint-policy.ts';
import { disposeSavepoints } from './savepoint-store.ts';
import type { CheckpointMetrics } from './checkpoint-metrics.ts';
import { CrashPoints } from './crash-points.ts';
import { writeOrAdoptMetadata } from './metadata-commit.ts';
import { writeFinalNotice, writeRequest } from './job-notices.ts';
import { currentAttemptPods } from './worker-pods.ts';
import {
  abortedStatus,
  ackOf,
  checkpointRequest,
  completedStatus,
  OPERATOR_SAVEPOINT_NONCE,
  requestMissing,
  snapshotMetadata,
  triggeredStatus,
} from './snapshot-status.ts';
import { inProgressRequest, servedBy, snapshotTimeoutSeconds } from './snapshot-request.ts';
import {
  decide,
  initialDelayFraction,
  type CoordinatorDecision,
  type CoordinatorObservation,
} from './trigger-policy.ts';
import {
  attemptParallelism,
  upgradeAfterSnapshot,
  upgradeStateOf,
  wantsStopWithSavepoint,
} from '../streamjob/upgrade-state.ts';

/** Dependencies of {@link CheckpointCoordinator}. */
export interface CheckpointCoordinatorOptions {
  jobs: StreamJobClient;
  /** Worker pods (and their acks) are read here. */
  cache: ClusterCache;
  core: CoreV1Api;
  events: EventRecorder;
  clock: Clock;
  /**
   * The credentials the job's workers use (the operator uses the same ones, so acting for one
   * job it cannot touch another's data: docs/security.md); `signal` bounds any STS call.
   */
  credentials(job: StreamJob, storage: EffectiveStorage, signal: AbortSignal): Promise<StorageCredentials>;
  /** Storage refused the job's credentials: the next {@link credentials} call reads them again. */
  forgetCredentials?(job: StreamJob, storage: EffectiveStorage): void;
  /**
   * Reads the job's snapshot key (Secret `<job>-snapshot-key`, streamjob/snapshot-key.ts), which
   * signs `_metadata`. @throws ProblemError SnapshotKeyMissing
   */
  snapshotKey(job: StreamJob): Promise<Buffer>;
  metrics?: CheckpointMetrics;
  /** Deadline of one S3 call, ms (storage-client.ts); default 10 s. */
  storageTimeoutMs?: number;
  /** Fault tests' crash points (crash-points.ts); unset: none. */
  crashPoints?: CrashPoints;
  /** Deletes the StreamJobSnapshot records of savepoints retention disposed of (snapshot/). */
  onSavepointsDisposed?(job: StreamJob, ids: number[]): Promise<void>;
}

/** What one step needs from the reconcile. */
export interface CoordinatorStepInput {
  job: StreamJob;
  storage: EffectiveStorage;
  subject: EventSubject;
  ctx: ReconcileContext;
  /** The operator needs a stop-with-savepoint now (upgrade or suspend in savepoint mode). */
  stopWithSavepoint?: boolean;
  /**
   * The job's storage credentials as this reconcile already read them (attempt-children.ts);
   * absent: the step reads them when it needs storage.
   */
  credentials?: StorageCredentials;
}

/** The job as last written and when to look again (ms; undefined: on the next event). */
export interface CoordinatorStepResult {
  job: StreamJob;
  requeueAfterMs?: number;
}

/** See the module comment. */
export class CheckpointCoordinator {
  readonly #o: CheckpointCoordinatorOptions;

  readonly #crash: CrashPoints;

  constructor(options: CheckpointCoordinatorOptions) {
    this.#o = options;
    this.#crash = options.crashPoints ?? new CrashPoints(undefined);
  }

  /**
   * An S3 client for the job's storage with the credentials its workers use, every call bounded
   * by the S3 timeout and `signal`; with `known` credentials (read earlier in the same reconcile)
   * instead of reading them again. Storage refusing them makes the next call read them again.
   */
  async storageClient(
    job: StreamJob,
    storage: EffectiveStorage,
    signal: AbortSignal,
    known?: StorageCredentials,
  ): Promise<StorageClient> {
    return new StorageClient({
      endpoint: storage.endpoint,
      credentials: known ?? (await this.#o.credentials(job, storage, signal)),
      timeoutMs: this.#o.storageTimeoutMs ?? 10_000,
      signal,
      onCredentialsRefused: () => this.#o.forgetCredentials?.(job, storage),
    });
  }

  /**
   * The current attempt's pods (not being deleted) for a step, once the final notice a crash
   * left behind is written (job-notices.ts). Undefined when there is nothing to coordinate: no
   * attempt yet, or suspended without a stop-with-savepoint (lifecycle/upgrade.ts).
   */
  async observe(job: StreamJob): Promise<{ job: StreamJob; pods: V1Pod[] } | undefined> {
    const attempt = job.status?.attempt ?? 0;
    if ((job.spec.state === 'suspended' && !wantsStopWithSavepoint(job)) || attempt === 0) return undefined;
    const pods = currentAttemptPods(this.#o.cache, job);
    // Crash recovery: the final notice of a committed snapshot every worker acked as final.
    return { job: await writeFinalNotice(this.#o.jobs, job, pods), pods };
  }

  /**
   * Savepoints beyond spec.savepoint retention disposed of (savepoint-store.ts); the job as
   * last written.
   */
  async disposeSavepoints(input: CoordinatorStepInput): Promise<StreamJob> {
    const { job, storage, subject, ctx } = input;
    const deps = { ...this.#o, s3: () => this.storageClient(job, storage, ctx.signal, input.credentials) };
    return disposeSavepoints(deps, job, storage, subject, ctx);
  }

  /**
   * Triggers, completes or aborts one snapshot of the running attempt, in the protocol's order
   * (see the module comment), on `pods` as {@link observe} returned them.
   */
  async coordinate(input: CoordinatorStepInput, pods: V1Pod[]): Promise<CoordinatorStepResult> {
    let { job } = input;
    const { storage, subject, ctx } = input;
    const attempt = job.status?.attempt ?? 0;
    const { clock, events, jobs } = this.#o;
    const ns = job.metadata!.namespace!;
    const name = job.metadata!.name!;
    const p = attemptParallelism(job);

    const states = pods.map((pod) => observeWorker(pod).state);
    // After an upgrade's stop-with-savepoint the workers are exiting: trigger nothing more.
    const upgrade = upgradeStateOf(job);
    const workersReady =
      pods.length === p && states.every((s) => s === 'ready') && upgrade?.stage !== 'SavepointTaken';
    const pending = pendingRequests(job).filter(
      (r) => (r.kind === 'checkpoint' || r.kind === 'savepoint') && NONCE_PATTERN.test(r.nonce),
    );
    const now = clock.now();
    const observed: CoordinatorObservation = {
      now,
      checkpoint: job.spec.checkpoint,
      savepoint: job.spec.savepoint,
      checkpoints: job.status?.checkpoints,
      parallelism: p,
      workersReady,
      scheduleStart: job.status?.attemptStartedAt ? Date.parse(job.status.attemptStartedAt) : now,
      initialDelayFraction: initialDelayFraction(job.metadata?.uid ?? '', attempt),
      acks: pods.map(ackOf).filter((a) => a !== undefined),
      savepointRequest: pending.find((r) => r.kind === 'savepoint')?.nonce,
      checkpointRequest: pending.find((r) => r.kind === 'checkpoint')?.nonce,
      stopWithSavepoint: input.stopWithSavepoint || wantsStopWithSavepoint(job),
      periodicSavepointDue: periodicSavepointDue(job),
    };
    const decision: CoordinatorDecision = decide(observed);

    switch (decision.action) {
      case 'wait': {
        // Crash recovery: the request of the snapshot in progress must be on the StreamJob.
        const req = inProgressRequest(job, now, wantsStopWithSavepoint(job));
        if (req && requestMissing(job, req)) job = await writeRequest(jobs, job, req);
        return { job, requeueAfterMs: decision.requeueAfterMs };
      }

      case 'trigger': {
        const prefix = storage.jobPrefix;
        const path =
          decision.kind === 'checkpoint'
            ? checkpointDir(prefix, decision.id)
            : savepointDir(prefix, decision.id, decision.nonce ?? OPERATOR_SAVEPOINT_NONCE);
        const facts = {
          id: decision.id,
          attempt,
          kind: decision.kind,
          nonce: decision.nonce,
          path,
          stop: decision.stop,
          now,
          timeoutSeconds: snapshotTimeoutSeconds(job, decision.kind),
        };
        // Protocol step 1: the id is in status before any worker hears of it.
        job = await jobs.writeStatus(job, triggeredStatus(job.status ?? {}, facts));
        this.#crash.passed('id-in-status', decision.kind, decision.id);
        job = await writeRequest(jobs, job, checkpointRequest(facts));
        this.#crash.passed('request-annotated', decision.kind, decision.id);
        ctx.log.info(
          { id: decision.id, kind: decision.kind, nonce: decision.nonce, path },
          'triggered snapshot',
        );
        if (decision.nonce !== undefined || decision.kind === 'savepoint') {
          events.record(subject, {
            type: 'Normal',
            reason: decision.kind === 'savepoint' ? 'SavepointTriggered' : 'CheckpointTriggered',
            action: 'TriggerSnapshot',
            note: `${decision.kind} ${decision.id} triggered${servedBy(decision.nonce)}${decision.stop ? ' (stop-with-savepoint)' : ''} at ${path}`,
          });
        }
        const timeout =
          decision.kind === 'savepoint'
            ? job.spec.savepoint.timeoutSeconds
            : job.spec.checkpoint.timeoutSeconds;
        return { job, requeueAfterMs: timeout * 1000 };
      }

      case 'complete': {
        const inProgress = job.status!.checkpoints!.inProgress!;
        const dir = inProgress.path!;
        const s3 = await this.storageClient(job, storage, ctx.signal, input.credentials);
        const key = await this.#o.snapshotKey(job);
        const metadata = signMetadata(
          snapshotMetadata({
            inProgress,
            job: { namespace: ns, name, uid: job.metadata!.uid! },
            maxParallelism: job.spec.maxParallelism,
            attempt,
            acks: decision.acks,
            now,
          }),
          key,
        );
        // Storage unavailable: retried by the controller until the snapshot's timeout aborts it.
        // A `_metadata` a previous leader wrote before crashing is adopted when it is the job's own.
        const { bytes, adopted } = await writeOrAdoptMetadata(
          s3,
          storage.bucket,
          dir,
          metadata,
          key,
          `${inProgress.kind ?? 'checkpoint'} ${inProgress.id} of StreamJob ${ns}/${name}`,
        );
        if (!adopted) this.#crash.passed('metadata-written', inProgress.kind ?? 'checkpoint', inProgress.id);
        const completed = completedStatus(
          job.status ?? {},
          inProgress,
          bytes,
          clock.now(),
          job.spec.savepoint.historyLimit,
          decision.acks.reduce((sum, a) => sum + (a.uploadedBytes ?? a.bytes), 0),
        );
        const up = upgradeAfterSnapshot(
          upgrade,
          inProgress,
          'completed',
          `savepoint ${inProgress.id} taken at ${dir}`,
        );
        if (up) completed.upgrade = up;
        const kind = inProgress.kind ?? 'checkpoint';
        // The commit notice: the workers see lastCompleted / savepoints.last on their StreamJob.
        job = await jobs.writeStatus(job, completed);
        this.#crash.passed('completed-in-status', kind, inProgress.id);
        job = await writeFinalNotice(this.#o.jobs, job, pods);
        ctx.log.info({ id: inProgress.id, kind, bytes, path: dir }, 'completed snapshot');
        if (kind === 'savepoint' || inProgress.nonce !== undefined) {
          events.record(subject, {
            type: 'Normal',
            reason: kind === 'savepoint' ? 'SavepointCompleted' : 'CheckpointCompleted',
            action: 'CompleteSnapshot',
            note: `${kind} ${inProgress.id} completed at s3://${storage.bucket}/${dir} (${bytes} bytes)${servedBy(inProgress.nonce)}`,
          });
        }
        this.#o.metrics?.observe(ns, name, job.status);
        await this.#retention(job, storage, s3, () => Promise.resolve(key), ctx);
        // Back when the next snapshot is due (the schedule is fixed-rate: trigger-policy.ts).
        const next = decide({
          ...observed,
          now: clock.now(),
          checkpoints: job.status?.checkpoints,
          acks: [],
        });
        return { job, requeueAfterMs: next.action === 'wait' ? next.requeueAfterMs : 0 };
      }

      case 'abort': {
        const inProgress = job.status!.checkpoints!.inProgress!;
        const aborted = abortedStatus(job.status ?? {}, inProgress, decision.reason, decision.message, now);
        const up = upgradeAfterSnapshot(upgrade, inProgress, 'aborted', decision.message);
        if (up) aborted.upgrade = up;
        job = await jobs.writeStatus(job, aborted);
        events.record(subject, {
          type: 'Warning',
          reason: `${inProgress.kind === 'savepoint' ? 'Savepoint' : 'Checkpoint'}Failed`,
          action: 'AbortSnapshot',
          note: `${decision.message}; the job keeps running and the next checkpoint is triggered on schedule`,
        });
        ctx.log.warn({ id: decision.id, reason: decision.reason }, decision.message);
        this.#o.metrics?.observe(ns, name, job.status);
        try {
          const s3 = await this.storageClient(job, storage, ctx.signal, input.credentials);
          let key: Promise<Buffer> | undefined;
          await this.#retention(job, storage, s3, () => (key ??= this.#o.snapshotKey(job)), ctx);
        } catch (err) {
          ctx.log.warn(
            { err: (err as Error).message },
            'checkpoint retention failed; retried after the next checkpoint',
          );
        }
        return { job, requeueAfterMs: 1000 };
      }
    }
  }

  /**
   * Retention (checkpoint-store.ts), then shared files no checkpoint references
   * (shared-state-store.ts). `key` gives the job's snapshot key (read once per step).
   */
  async #retention(
    job: StreamJob,
    storage: EffectiveStorage,
    s3: StorageClient,
    key: () => Promise<Buffer>,
    ctx: ReconcileContext,
  ) {
    const deleted = await applyRetention(job, storage, s3, key, (id) =>
      this.#crash.passed('retention-metadata-deleted', 'checkpoint', id),
    );
    const unshared = (await collectSharedFiles(job, storage, s3)).length;
    if (deleted.length + unshared > 0) ctx.log.info({ deleted, unshared }, 'retention deleted');
  }
}

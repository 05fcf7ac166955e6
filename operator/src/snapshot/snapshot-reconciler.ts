/**
 * The StreamJobSnapshot reconciler (docs/snapshots.md "Snapshot objects"):
 *
 *  1. Deleted with the dispose finalizer: delete the snapshot's data (snapshot-storage.ts), then
 *     drop the finalizer. When storage fails or cannot be reached, retried every few seconds
 *     until DISPOSE_BOUND_MS after the deletion; then the finalizer goes anyway with a Warning
 *     Event `SnapshotDataLeft` naming what stays in storage.
 *  2. `disposeOnDelete` without the finalizer: add it (before anything is triggered).
 *  3. A requested snapshot (not `alreadyExists`, not Completed/Failed): the step of
 *     snapshot-progress.ts — write its request annotation on the job, or its status from the
 *     job's — with an Event when it completes or fails.
 */
import type { StreamJobSnapshot } from '@sluice/api/streamjobsnapshot.ts';
import { STREAMJOBSNAPSHOT_API_VERSION, STREAMJOBSNAPSHOT_KIND } from '@sluice/api/streamjobsnapshot.ts';
import type { Clock } from '../kube/clock.ts';
import {
  done,
  requeueAfter,
  type ReconcileContext,
  type ReconcileRequest,
  type ReconcileResult,
  type Reconciler,
} from '../kube/controller.ts';
import { boundText } from '../kube/bounded-text.ts';
import type { EventRecorder, EventSubject } from '../kube/events.ts';
import { resolveStorage, type StorageDefaults } from '../streamjob/storage.ts';
import type { StreamJobClient } from '../streamjob/streamjob-client.ts';
import type { StreamJobSnapshotClient } from './snapshot-client.ts';
import { nextSnapshotStep } from './snapshot-progress.ts';
import type { SnapshotStorage } from './snapshot-storage.ts';

/** The finalizer that deletes a snapshot's data before its object goes (`spec.disposeOnDelete`). */
export const DISPOSE_FINALIZER = 'sluice.dev/dispose-snapshot';
/** How long after its deletion a snapshot's disposal is retried before its data is left behind, ms. */
export const DISPOSE_BOUND_MS = 60_000;
/** How often a snapshot in progress is looked at besides its job's changes, ms. */
export const SNAPSHOT_POLL_MS = 5_000;

/** Dependencies of {@link StreamJobSnapshotReconciler}. */
export interface SnapshotReconcilerOptions {
  snapshots: StreamJobSnapshotClient;
  jobs: StreamJobClient;
  storage: SnapshotStorage;
  storageDefaults: StorageDefaults;
  events: EventRecorder;
  clock: Clock;
}

/** See the module comment. */
export class StreamJobSnapshotReconciler implements Reconciler {
  readonly #o: SnapshotReconcilerOptions;

  constructor(options: SnapshotReconcilerOptions) {
    this.#o = options;
  }

  async reconcile(req: ReconcileRequest, ctx: ReconcileContext): Promise<ReconcileResult> {
    let snap = await this.#o.snapshots.get(req.namespace, req.name);
    if (!snap) return done();
    const finalizers = snap.metadata?.finalizers ?? [];
    if (snap.metadata?.deletionTimestamp) {
      return finalizers.includes(DISPOSE_FINALIZER) ? this.#dispose(snap, ctx) : done();
    }
    if (snap.spec.disposeOnDelete && !finalizers.includes(DISPOSE_FINALIZER)) {
      snap = await this.#o.snapshots.setFinalizers(snap, [...finalizers, DISPOSE_FINALIZER]);
    }
    const job = await this.#o.jobs.get(req.namespace, snap.spec.jobName);
    const storage = job ? resolveStorage(job, this.#o.storageDefaults) : undefined;
    const bucket = storage?.ok ? storage.storage.bucket : undefined;
    const step = nextSnapshotStep(snap, job, bucket, this.#o.clock.now());
    if (step.action === 'none') return done();
    if (step.action === 'request') {
      await this.#o.jobs.patchMetadata(job!, { annotations: { [step.annotation]: step.nonce } });
      ctx.log.info({ job: snap.spec.jobName, nonce: step.nonce }, `requested a ${snap.spec.kind}`);
      await this.#o.snapshots.writeStatus(snap, step.status);
      return requeueAfter(SNAPSHOT_POLL_MS);
    }
    const before = snap.status?.phase;
    await this.#o.snapshots.writeStatus(snap, step.status);
    const phase = step.status.phase;
    if (phase !== before && (phase === 'Completed' || phase === 'Failed')) {
      this.#o.events.record(subjectOf(snap), {
        type: phase === 'Completed' ? 'Normal' : 'Warning',
        reason: phase === 'Completed' ? 'SnapshotCompleted' : 'SnapshotFailed',
        action: 'Snapshot',
        note: boundText(step.status.message ?? phase),
      });
    }
    return step.done ? done() : requeueAfter(SNAPSHOT_POLL_MS);
  }

  /** Step 1 of the module comment. */
  async #dispose(snap: StreamJobSnapshot, ctx: ReconcileContext): Promise<ReconcileResult> {
    const path = snap.status?.phase === 'Completed' ? snap.status.path : undefined;
    const subject = subjectOf(snap);
    if (path) {
      try {
        const job = await this.#o.jobs.get(snap.metadata!.namespace!, snap.spec.jobName);
        const deleted = await this.#o.storage.deleteSnapshot(snap, job, ctx.signal);
        this.#o.events.record(subject, {
          type: 'Normal',
          reason: 'SnapshotDisposed',
          action: 'Dispose',
          note: `deleted ${deleted} object(s) of ${snap.spec.kind} ${snap.status?.id ?? ''} at ${path}`,
        });
      } catch (err) {
        // Raw JSON from CustomObjectsApi: a string, though V1ObjectMeta types it as Date.
        const since =
          this.#o.clock.now() - new Date(snap.metadata!.deletionTimestamp as Date | string).getTime();
        if (since < DISPOSE_BOUND_MS) {
          ctx.log.warn({ path, err: (err as Error).message }, 'deleting snapshot data failed; retrying');
          return requeueAfter(Math.min(SNAPSHOT_POLL_MS, DISPOSE_BOUND_MS - since));
        }
        this.#o.events.record(subject, {
          type: 'Warning',
          reason: 'SnapshotDataLeft',
          action: 'Dispose',
          note: boundText(
            `gave up deleting ${path} after ${Math.round(since / 1000)} s: ${(err as Error).message}; its data stays in storage`,
          ),
        });
        ctx.log.warn({ path, err: (err as Error).message }, 'snapshot data left in storage');
      }
    }
    const rest = (snap.metadata?.finalizers ?? []).filter((f) => f !== DISPOSE_FINALIZER);
    await this.#o.snapshots.setFinalizers(snap, rest);
    return done();
  }
}

/** The Event subject of a snapshot object. */
export function subjectOf(snap: StreamJobSnapshot): EventSubject {
  return {
    apiVersion: STREAMJOBSNAPSHOT_API_VERSION,
    kind: STREAMJOBSNAPSHOT_KIND,
    namespace: snap.metadata!.namespace!,
    name: snap.metadata!.name!,
    ...(snap.metadata?.uid ? { uid: snap.metadata.uid } : {}),
  };
}

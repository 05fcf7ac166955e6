/**
 * Keeps a StreamJob's snapshot records (snapshot-records.ts) in step with its savepoint history:
 * reconciled per job (the queue key is the StreamJob's), it creates the missing record objects
 * and writes their status. Records are deleted by savepoint retention (deleteRecords, called by
 * the coordinator after the data and the history entries went), never here.
 */
import type { StreamJob } from '@sluice/api/streamjob.ts';
import type { StreamJobSnapshot } from '@sluice/api/streamjobsnapshot.ts';
import {
  done,
  type ReconcileContext,
  type ReconcileRequest,
  type ReconcileResult,
  type Reconciler,
} from '../kube/controller.ts';
import { isAlreadyExists } from '../kube/errors.ts';
import { resolveStorage, type StorageDefaults } from '../streamjob/storage.ts';
import type { StreamJobClient } from '../streamjob/streamjob-client.ts';
import type { StreamJobSnapshotClient } from './snapshot-client.ts';
import { missingRecords, recordsOfDisposed } from './snapshot-records.ts';

/** Dependencies of {@link SnapshotRecordReconciler}. */
export interface SnapshotRecordReconcilerOptions {
  snapshots: StreamJobSnapshotClient;
  jobs: StreamJobClient;
  storageDefaults: StorageDefaults;
  /** The snapshot objects of `namespace` as the informer has them. */
  cached(namespace: string): StreamJobSnapshot[];
}

/** See the module comment. */
export class SnapshotRecordReconciler implements Reconciler {
  readonly #o: SnapshotRecordReconcilerOptions;

  constructor(options: SnapshotRecordReconcilerOptions) {
    this.#o = options;
  }

  async reconcile(req: ReconcileRequest, ctx: ReconcileContext): Promise<ReconcileResult> {
    const job = await this.#o.jobs.get(req.namespace, req.name);
    if (job) await this.recordJob(job, ctx);
    return done();
  }

  /**
   * Creates the missing records of `job`'s savepoint history (also called by the onDelete
   * finalizer, so a final savepoint is recorded before the job goes).
   */
  async recordJob(job: StreamJob, ctx: ReconcileContext): Promise<void> {
    if (!job.status?.savepoints?.history?.length) return;
    const req = { namespace: job.metadata!.namespace!, name: job.metadata!.name! };
    const storage = resolveStorage(job, this.#o.storageDefaults);
    const bucket = storage.ok ? storage.storage.bucket : undefined;
    for (const r of missingRecords(job, this.#o.cached(req.namespace), bucket)) {
      let created: StreamJobSnapshot;
      try {
        created = await this.#o.snapshots.create(r.object);
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
        // A crash between create and status write, or a user's object of that name.
        const existing = await this.#o.snapshots.get(req.namespace, r.object.metadata!.name!);
        if (!existing?.spec.alreadyExists || existing.spec.jobName !== req.name || existing.status?.phase)
          continue;
        created = existing;
      }
      await this.#o.snapshots.writeStatus(created, r.status);
      ctx.log.info(
        { snapshot: r.object.metadata!.name, id: r.status.id },
        'recorded a savepoint as a StreamJobSnapshot',
      );
    }
  }

  /** Deletes the records of `job`'s savepoints `ids` (their data and history entries are gone). */
  async deleteRecords(job: StreamJob, ids: number[]): Promise<void> {
    const ns = job.metadata!.namespace!;
    for (const s of recordsOfDisposed(job, this.#o.cached(ns), new Set(ids))) {
      await this.#o.snapshots.delete(ns, s.metadata!.name!);
    }
  }
}

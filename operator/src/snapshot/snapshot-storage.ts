/**
 * Deleting a snapshot object's data (`spec.disposeOnDelete`, docs/snapshots.md "Snapshot
 * objects"). The data is found from `status.path` (`s3://<bucket>/<dir>`) and deleted with
 * - the job's storage and credentials while the job that took it (same uid) exists, or
 * - the operator's default storage and credentials when the job is gone and the bucket is the
 *   default one.
 * `status.path` is checked to lie under the key prefix of this namespace's job of
 * `spec.jobName` (`<prefix>/<namespace>/<job>/`): a status forged by someone who may write the
 * object's status subresource cannot make the operator delete another job's data.
 */
import { jobPrefix } from '@sluice/api/layout.ts';
import type { StreamJob } from '@sluice/api/streamjob.ts';
import type { StreamJobSnapshot } from '@sluice/api/streamjobsnapshot.ts';
import { StorageClient, type StorageCredentials } from '../s3/storage-client.ts';
import { parseS3Url } from '../s3/s3-url.ts';
import { resolveStorage, type EffectiveStorage, type StorageDefaults } from '../streamjob/storage.ts';

/** Deletes a snapshot object's data. */
export interface SnapshotStorage {
  /**
   * Deletes every object under the snapshot's directory.
   * @param job the snapshot's StreamJob as read now, undefined when gone
   * @returns the number of objects deleted
   * @throws Error when the path is not the job's, no credentials reach it, or storage fails
   */
  deleteSnapshot(snap: StreamJobSnapshot, job: StreamJob | undefined, signal: AbortSignal): Promise<number>;
}

/** Splits `s3://<bucket>/<dir>` (lifecycle/attempt.ts parseS3Url). @throws Error for anything else */
export function parseSnapshotUrl(url: string): { bucket: string; dir: string } {
  const parsed = parseS3Url(url);
  if (!parsed?.key) throw new Error(`snapshot path ${JSON.stringify(url)} is not s3://<bucket>/<directory>`);
  return { bucket: parsed.bucket, dir: parsed.key };
}

/** Options of {@link OperatorSnapshotStorage}. */
export interface OperatorSnapshotStorageOptions {
  defaults: StorageDefaults;
  /** The credentials the job's workers use (the operator uses the same ones for the job). */
  credentials(job: StreamJob, storage: EffectiveStorage, signal: AbortSignal): Promise<StorageCredentials>;
  /** The operator's default credentials. */
  defaultCredentials(): Promise<StorageCredentials>;
  /** Deadline of one S3 call, ms. */
  timeoutMs: number;
}

/** See the module comment. */
export class OperatorSnapshotStorage implements SnapshotStorage {
  readonly #o: OperatorSnapshotStorageOptions;

  constructor(options: OperatorSnapshotStorageOptions) {
    this.#o = options;
  }

  async deleteSnapshot(
    snap: StreamJobSnapshot,
    job: StreamJob | undefined,
    signal: AbortSignal,
  ): Promise<number> {
    const { bucket, dir } = parseSnapshotUrl(snap.status?.path ?? '');
    const ns = snap.metadata!.namespace!;
    const sameJob = job !== undefined && job.metadata?.uid === snap.status?.jobUid;
    const resolved = sameJob ? resolveStorage(job, this.#o.defaults) : undefined;
    const own = resolved?.ok && resolved.storage.bucket === bucket ? resolved.storage : undefined;
    const prefix = own ? own.prefix : this.#o.defaults.prefix;
    const area = `${jobPrefix(prefix, ns, snap.spec.jobName, '')}/`;
    if (!dir.startsWith(area)) {
      throw new Error(
        `snapshot path s3://${bucket}/${dir} is not under ${area}, the key prefix of StreamJob ${ns}/${snap.spec.jobName}`,
      );
    }
    let client: StorageClient;
    if (own) {
      client = this.#client(own.endpoint, await this.#o.credentials(job!, own, signal), signal);
    } else if (
      this.#o.defaults.endpoint &&
      this.#o.defaults.bucket === bucket &&
      this.#o.defaults.credentialsSecret
    ) {
      client = this.#client(this.#o.defaults.endpoint, await this.#o.defaultCredentials(), signal);
    } else {
      throw new Error(
        `no credentials for s3://${bucket}: StreamJob ${ns}/${snap.spec.jobName} that took the snapshot is gone and the bucket is not the operator's default`,
      );
    }
    return client.deleteUnder(bucket, `${dir}/`);
  }

  #client(endpoint: string, credentials: StorageCredentials, signal: AbortSignal): StorageClient {
    return new StorageClient({ endpoint, credentials, timeoutMs: this.#o.timeoutMs, signal });
  }
}

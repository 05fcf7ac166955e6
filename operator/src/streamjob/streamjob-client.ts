/**
 * Reads StreamJobs and writes their status through the API server (CustomObjectsApi). Status
 * writes are JSON merge patches on the status subresource computed from the status as read, and
 * carry the read `metadata.resourceVersion`, so a write based on a stale read fails with 409
 * Conflict instead of overwriting someone else's update.
 *
 * Every job returned is seen through withEffectiveSpec (effective-spec.ts): after a rollback its
 * `spec` is the spec that runs, not the one stored.
 */
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import {
  STREAMJOB_GROUP,
  STREAMJOB_PLURAL,
  STREAMJOB_VERSION,
  type StreamJob,
  type StreamJobStatus,
} from '@sluice/api/streamjob.ts';
import { isNotFound } from '../kube/errors.ts';
import { mergePatch } from '../kube/merge-patch.ts';
import { withEffectiveSpec } from './effective-spec.ts';

/** A list of StreamJobs as the API returns it. */
export interface StreamJobList {
  items: StreamJob[];
  metadata?: { resourceVersion?: string };
}

/** See the module comment. */
export class StreamJobClient {
  readonly #api: CustomObjectsApi;
  readonly #onWrite: (job: StreamJob) => void;

  /**
   * @param onWrite called with every job as a write returned it (before withEffectiveSpec): the
   *   read cache's record of the operator's own writes (cluster-cache.ts)
   */
  constructor(kubeConfig: KubeConfig, onWrite: (job: StreamJob) => void = () => {}) {
    this.#api = kubeConfig.makeApiClient(CustomObjectsApi);
    this.#onWrite = onWrite;
  }

  #written(job: StreamJob): StreamJob {
    this.#onWrite(job);
    return withEffectiveSpec(job);
  }

  /** The job, or undefined when it does not exist. @throws the API error for anything but 404. */
  async get(namespace: string, name: string): Promise<StreamJob | undefined> {
    try {
      return withEffectiveSpec(
        (await this.#api.getNamespacedCustomObject({
          group: STREAMJOB_GROUP,
          version: STREAMJOB_VERSION,
          plural: STREAMJOB_PLURAL,
          namespace,
          name,
        })) as StreamJob,
      );
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** All jobs of `namespace`, or of every namespace when undefined. */
  async list(namespace?: string): Promise<StreamJobList> {
    const common = { group: STREAMJOB_GROUP, version: STREAMJOB_VERSION, plural: STREAMJOB_PLURAL };
    return (
      namespace
        ? await this.#api.listNamespacedCustomObject({ ...common, namespace })
        : await this.#api.listClusterCustomObject(common)
    ) as StreamJobList;
  }

  /** URL path of the collection (for watches). */
  static collectionPath(namespace?: string): string {
    const base = `/apis/${STREAMJOB_GROUP}/${STREAMJOB_VERSION}`;
    return namespace ? `${base}/namespaces/${namespace}/${STREAMJOB_PLURAL}` : `${base}/${STREAMJOB_PLURAL}`;
  }

  /**
   * Merge-patches `metadata` of the job (annotations, finalizers; never its spec) with `job`'s
   * resourceVersion as precondition.
   * @returns the job as written
   * @throws ApiException 409 when the job changed since `job` was read; 404 when it is gone.
   */
  async patchMetadata(
    job: StreamJob,
    metadata: { annotations?: Record<string, string | null>; finalizers?: string[] },
  ): Promise<StreamJob> {
    return this.#written(
      (await this.#api.patchNamespacedCustomObject(
        {
          group: STREAMJOB_GROUP,
          version: STREAMJOB_VERSION,
          plural: STREAMJOB_PLURAL,
          namespace: job.metadata?.namespace ?? '',
          name: job.metadata?.name ?? '',
          body: { metadata: { resourceVersion: job.metadata?.resourceVersion, ...metadata } },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      )) as StreamJob,
    );
  }

  /**
   * Makes the job's status `next`: sends the merge patch from `job.status` to `next` (nothing
   * when equal) with `job`'s resourceVersion as precondition.
   * @returns the job as written (or `job` itself when nothing changed)
   * @throws ApiException 409 when the job changed since `job` was read; 404 when it is gone.
   */
  async writeStatus(job: StreamJob, next: StreamJobStatus): Promise<StreamJob> {
    const patch = mergePatch(
      { status: (job.status ?? {}) as Record<string, unknown> },
      { status: next as Record<string, unknown> },
    );
    if (!patch) return job;
    const body = { metadata: { resourceVersion: job.metadata?.resourceVersion }, ...patch };
    return this.#written(
      (await this.#api.patchNamespacedCustomObjectStatus(
        {
          group: STREAMJOB_GROUP,
          version: STREAMJOB_VERSION,
          plural: STREAMJOB_PLURAL,
          namespace: job.metadata?.namespace ?? '',
          name: job.metadata?.name ?? '',
          body,
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      )) as StreamJob,
    );
  }
}

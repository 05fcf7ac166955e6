/**
 * Reads and writes StreamJobSnapshot objects through the API server (CustomObjectsApi), like
 * streamjob-client.ts for StreamJobs: status writes are JSON merge patches on the status
 * subresource with the read resourceVersion as precondition (409 on a stale read).
 */
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import {
  STREAMJOBSNAPSHOT_GROUP as GROUP,
  STREAMJOBSNAPSHOT_PLURAL as PLURAL,
  STREAMJOBSNAPSHOT_VERSION as VERSION,
  type StreamJobSnapshot,
  type StreamJobSnapshotStatus,
} from '@sluice/api/streamjobsnapshot.ts';
import { isNotFound } from '../kube/errors.ts';
import { mergePatch } from '../kube/merge-patch.ts';

/** A list of snapshots as the API returns it. */
export interface StreamJobSnapshotList {
  items: StreamJobSnapshot[];
  metadata?: { resourceVersion?: string };
}

/** See the module comment. */
export class StreamJobSnapshotClient {
  readonly #api: CustomObjectsApi;

  constructor(kubeConfig: KubeConfig) {
    this.#api = kubeConfig.makeApiClient(CustomObjectsApi);
  }

  /** The snapshot, or undefined when it does not exist. @throws the API error for anything but 404. */
  async get(namespace: string, name: string): Promise<StreamJobSnapshot | undefined> {
    try {
      return (await this.#api.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        plural: PLURAL,
        namespace,
        name,
      })) as StreamJobSnapshot;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** All snapshots of `namespace`, or of every namespace when undefined. */
  async list(namespace?: string): Promise<StreamJobSnapshotList> {
    const common = { group: GROUP, version: VERSION, plural: PLURAL };
    return (
      namespace
        ? await this.#api.listNamespacedCustomObject({ ...common, namespace })
        : await this.#api.listClusterCustomObject(common)
    ) as StreamJobSnapshotList;
  }

  /** URL path of the collection (for watches). */
  static collectionPath(namespace?: string): string {
    const base = `/apis/${GROUP}/${VERSION}`;
    return namespace ? `${base}/namespaces/${namespace}/${PLURAL}` : `${base}/${PLURAL}`;
  }

  /** Creates `body` in its namespace. @throws ApiException 409 when the name is taken. */
  async create(body: StreamJobSnapshot): Promise<StreamJobSnapshot> {
    return (await this.#api.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      plural: PLURAL,
      namespace: body.metadata!.namespace!,
      body,
    })) as StreamJobSnapshot;
  }

  /** Deletes the snapshot object (its finalizers still run); a missing one is not an error. */
  async delete(namespace: string, name: string): Promise<void> {
    try {
      await this.#api.deleteNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        plural: PLURAL,
        namespace,
        name,
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /**
   * Sets `metadata.finalizers` to `finalizers` with `snap`'s resourceVersion as precondition.
   * @returns the object as written
   * @throws ApiException 409 on a stale read; 404 when it is gone
   */
  async setFinalizers(snap: StreamJobSnapshot, finalizers: string[]): Promise<StreamJobSnapshot> {
    return (await this.#api.patchNamespacedCustomObject(
      {
        group: GROUP,
        version: VERSION,
        plural: PLURAL,
        namespace: snap.metadata!.namespace!,
        name: snap.metadata!.name!,
        body: { metadata: { resourceVersion: snap.metadata?.resourceVersion, finalizers } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    )) as StreamJobSnapshot;
  }

  /**
   * Makes the snapshot's status `next` (merge patch from `snap.status`, resourceVersion
   * precondition; nothing sent when equal).
   * @returns the object as written
   * @throws ApiException 409 on a stale read; 404 when it is gone
   */
  async writeStatus(snap: StreamJobSnapshot, next: StreamJobSnapshotStatus): Promise<StreamJobSnapshot> {
    const patch = mergePatch(
      { status: (snap.status ?? {}) as Record<string, unknown> },
      { status: next as Record<string, unknown> },
    );
    if (!patch) return snap;
    return (await this.#api.patchNamespacedCustomObjectStatus(
      {
        group: GROUP,
        version: VERSION,
        plural: PLURAL,
        namespace: snap.metadata!.namespace!,
        name: snap.metadata!.name!,
        body: { metadata: { resourceVersion: snap.metadata?.resourceVersion }, ...patch },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    )) as StreamJobSnapshot;
  }
}

/**
 * Pod control mode (default): the worker watches its StreamJob through the Kubernetes API (field
 * selector `metadata.name=<job>`; RBAC get/list/watch on that one name) and acknowledges on its
 * own Pod (RBAC patch on its own pod name). docs/checkpointing.md "Protocol (operator ↔ workers)":
 *
 *  - request: the StreamJob's `sluice.dev/checkpoint-request`, taken only when its `attempt` is
 *    the worker's own (a worker of an older attempt still running on a lost node ignores it);
 *  - commit notice: the newest completed snapshot in the StreamJob's status
 *    (`committedSnapshotId`), taken only for an id this worker acked itself — a newer attempt's
 *    notice never commits an older attempt's transactions;
 *  - final notice: the StreamJob's `sluice.dev/checkpoint-final`, under the same rule;
 *  - ack: `sluice.dev/checkpoint-ack` merge-patched onto the worker's own Pod.
 *
 * The watch is restarted after any error or server-side close, from a fresh GET of the job, with
 * backoff 0.5 s doubling to 10 s; everything is re-delivered on every restart (the worker ignores
 * ids it has seen).
 */
import {
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  Observable,
  Watch,
  type RequestContext,
  type ResponseContext,
  setHeaderOptions,
  type KubeConfig,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import {
  ANN_CHECKPOINT_ACK,
  ANN_CHECKPOINT_FINAL,
  ANN_CHECKPOINT_REQUEST,
  committedSnapshotId,
  type CheckpointAck,
} from '@sluice/api/protocol.ts';
import {
  STREAMJOB_GROUP,
  STREAMJOB_PLURAL,
  STREAMJOB_VERSION,
  type StreamJob,
} from '@sluice/api/streamjob.ts';
import { retryUntil } from './ack-retry.ts';
import {
  parseCheckpointRequest,
  parseCommitted,
  type ControlChannel,
  type ControlHandlers,
  type WorkerStatus,
} from './control.ts';

/** Time one ack patch may take before it is abandoned and retried, ms. */
export const ACK_PATCH_TIMEOUT_MS = 10_000;

/** client-node request options that abort a request after `ms`. */
function timeoutMiddleware(ms: number) {
  return {
    pre: (ctx: RequestContext) => {
      ctx.setSignal(AbortSignal.timeout(ms));
      return new Observable(Promise.resolve(ctx));
    },
    post: (res: ResponseContext) => new Observable(Promise.resolve(res)),
  };
}

/** Who the worker is, for {@link PodControl}. */
export interface PodControlIdentity {
  /** The worker's own Pod (it acks there). */
  pod: string;
  namespace: string;
  /** Its StreamJob (requests and commit notices are there). */
  job: string;
  /** Its attempt (`SLUICE_ATTEMPT`): requests of other attempts are ignored. */
  attempt: number;
}

export class PodControl implements ControlChannel {
  private readonly kc: KubeConfig;
  private readonly core: CoreV1Api;
  private readonly custom: CustomObjectsApi;
  private readonly me: PodControlIdentity;
  private readonly log: Logger;
  private abort: AbortController | undefined;
  private closed = false;
  private lastSeen = { request: '', committed: -1, final: -1 };
  /** Id of the newest ack being published; older ones stop retrying. */
  private latestAckId = -1;
  /** Ids this worker acked without error (recorded before the ack is sent): the commits it may take. */
  private readonly acked = new Set<number>();

  /** @param kc credentials (in cluster: `kc.loadFromCluster()`) */
  constructor(kc: KubeConfig, me: PodControlIdentity, log: Logger) {
    this.kc = kc;
    this.core = kc.makeApiClient(CoreV1Api);
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.me = me;
    this.log = log;
  }

  /**
   * Reads the worker's own pod and its StreamJob once (failing fast on missing RBAC or a wrong
   * name), then watches the job in the background.
   */
  async start(h: ControlHandlers): Promise<void> {
    const { pod, namespace } = this.me;
    try {
      await this.core.readNamespacedPod({ name: pod, namespace });
    } catch (err) {
      throw new Error(
        `cannot read own pod ${namespace}/${pod}: ${(err as Error).message} (check SLUICE_POD_NAME/SLUICE_POD_NAMESPACE and RBAC get/patch on pods)`,
        { cause: err },
      );
    }
    let job: StreamJob;
    try {
      job = await this.readJob();
    } catch (err) {
      throw new Error(
        `cannot read own StreamJob ${namespace}/${this.me.job}: ${(err as Error).message} (check SLUICE_JOB_NAME and RBAC get/watch on streamjobs)`,
        { cause: err },
      );
    }
    this.deliver(job, h);
    void this.loop(h, job.metadata?.resourceVersion);
  }

  private async readJob(): Promise<StreamJob> {
    return (await this.custom.getNamespacedCustomObject({
      group: STREAMJOB_GROUP,
      version: STREAMJOB_VERSION,
      plural: STREAMJOB_PLURAL,
      namespace: this.me.namespace,
      name: this.me.job,
    })) as StreamJob;
  }

  private deliver(job: StreamJob, h: ControlHandlers): void {
    const ann = job.metadata?.annotations ?? {};
    const req = ann[ANN_CHECKPOINT_REQUEST];
    if (req && req !== this.lastSeen.request) {
      this.lastSeen.request = req;
      try {
        const request = parseCheckpointRequest(req, `annotation ${ANN_CHECKPOINT_REQUEST}`);
        if (request.attempt === undefined || request.attempt === this.me.attempt)
          h.onCheckpointRequest(request);
        else
          this.log.debug(
            { checkpointId: request.id, attempt: request.attempt },
            'request of another attempt',
          );
      } catch (err) {
        this.log.error({ err: (err as Error).message }, 'ignoring malformed checkpoint request');
      }
    }
    const committed = committedSnapshotId(job.status);
    if (committed !== undefined && committed > this.lastSeen.committed && this.acked.has(committed)) {
      this.lastSeen.committed = committed;
      for (const id of this.acked) if (id < committed) this.acked.delete(id);
      h.onCommitted(committed);
    }
    const final = ann[ANN_CHECKPOINT_FINAL];
    if (final) {
      try {
        const id = parseCommitted(final, `annotation ${ANN_CHECKPOINT_FINAL}`);
        if (id > this.lastSeen.final && this.acked.has(id)) {
          this.lastSeen.final = id;
          h.onFinal(id);
        }
      } catch (err) {
        this.log.error({ err: (err as Error).message }, 'ignoring malformed final annotation');
      }
    }
  }

  private async loop(h: ControlHandlers, resourceVersion: string | undefined): Promise<void> {
    let backoff = 500;
    let rv = resourceVersion;
    while (!this.closed) {
      const ended = await this.watchOnce(h, rv);
      if (this.closed) return;
      if (ended instanceof Error) {
        this.log.warn({ err: ended.message, retryInMs: backoff }, 'StreamJob watch failed; restarting');
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 10_000);
      } else {
        backoff = 500;
      }
      try {
        const job = await this.readJob();
        this.deliver(job, h);
        rv = job.metadata?.resourceVersion;
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'cannot re-read own StreamJob');
        rv = undefined;
      }
    }
  }

  /** One watch; resolves when it ends (null on a clean close, the error otherwise). */
  private watchOnce(h: ControlHandlers, rv: string | undefined): Promise<Error | null> {
    return new Promise((resolve) => {
      const w = new Watch(this.kc);
      w.watch(
        `/apis/${STREAMJOB_GROUP}/${STREAMJOB_VERSION}/namespaces/${this.me.namespace}/${STREAMJOB_PLURAL}`,
        {
          fieldSelector: `metadata.name=${this.me.job}`,
          allowWatchBookmarks: true,
          ...(rv ? { resourceVersion: rv } : {}),
        },
        (phase: string, obj: StreamJob) => {
          if (phase === 'ADDED' || phase === 'MODIFIED') this.deliver(obj, h);
          if (phase === 'ERROR') this.abort?.abort();
        },
        (err: unknown) => resolve(err ? (err instanceof Error ? err : new Error(String(err))) : null),
      ).then(
        (ac) => {
          this.abort = ac;
          if (this.closed) ac.abort();
        },
        (err: unknown) => resolve(err instanceof Error ? err : new Error(String(err))),
      );
    });
  }

  /**
   * Merge-patches the ack annotation onto the pod, retrying with backoff until `deadlineMs`
   * (ack-retry.ts) — an API server restart or outage shorter than the checkpoint's timeout
   * loses nothing. Each patch is abandoned after {@link ACK_PATCH_TIMEOUT_MS} (a hung
   * connection must not stall the retries). Stops quietly when a newer ack started meanwhile.
   */
  async ack(ack: CheckpointAck, deadlineMs: number): Promise<void> {
    this.latestAckId = Math.max(this.latestAckId, ack.id);
    if (ack.error === undefined) this.acked.add(ack.id);
    const body = { metadata: { annotations: { [ANN_CHECKPOINT_ACK]: JSON.stringify(ack) } } };
    try {
      await retryUntil(
        () =>
          this.core
            .patchNamespacedPod(
              { name: this.me.pod, namespace: this.me.namespace, body },
              setHeaderOptions('Content-Type', PatchStrategy.MergePatch, {
                middleware: [timeoutMiddleware(ACK_PATCH_TIMEOUT_MS)],
              }),
            )
            .then(() => undefined),
        deadlineMs,
        {
          superseded: () => this.latestAckId > ack.id,
          onRetry: (err, delayMs) =>
            this.log.warn(
              { checkpointId: ack.id, err: (err as Error).message, retryInMs: delayMs },
              'ack not accepted; retrying until the checkpoint times out',
            ),
        },
      );
    } catch (err) {
      throw new Error(
        `cannot annotate own pod ${this.me.namespace}/${this.me.pod} with the ack of checkpoint ${ack.id} before its timeout: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }

  setStatus(_status: WorkerStatus): void {
    // Pod mode reports through annotations and logs only.
  }

  close(): Promise<void> {
    this.closed = true;
    this.abort?.abort();
    return Promise.resolve();
  }
}

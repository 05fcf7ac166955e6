/**
 * Pod control mode (default): the worker watches its own Pod through the Kubernetes API
 * (field selector `metadata.name=<pod>`; the downward-API volume refreshes too slowly) and
 * reacts to the annotations `sluice.dev/checkpoint-request` and `sluice.dev/checkpoint-committed`
 * written by the operator; it acknowledges by merge-patching `sluice.dev/checkpoint-ack` onto
 * the same Pod (RBAC: get/watch/patch on its own pods).
 *
 * The watch is restarted after any error or server-side close, from a fresh GET of the pod,
 * with backoff 0.5 s doubling to 10 s; annotations are re-delivered on every restart (the
 * worker ignores ids it has seen).
 */
import {
  CoreV1Api,
  PatchStrategy,
  Observable,
  Watch,
  type RequestContext,
  type ResponseContext,
  setHeaderOptions,
  type KubeConfig,
  type V1Pod,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import {
  ANN_CHECKPOINT_ACK,
  ANN_CHECKPOINT_COMMITTED,
  ANN_CHECKPOINT_FINAL,
  ANN_CHECKPOINT_REQUEST,
  type CheckpointAck,
} from '../../../api/src/protocol.ts';
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

export class PodControl implements ControlChannel {
  private readonly kc: KubeConfig;
  private readonly core: CoreV1Api;
  private readonly name: string;
  private readonly namespace: string;
  private readonly log: Logger;
  private abort: AbortController | undefined;
  private closed = false;
  private lastSeen = { request: '', committed: '', final: '' };
  /** Id of the newest ack being published; older ones stop retrying. */
  private latestAckId = -1;

  /**
   * @param kc credentials (in cluster: `kc.loadFromCluster()`)
   * @param name, namespace the worker's own Pod
   */
  constructor(kc: KubeConfig, name: string, namespace: string, log: Logger) {
    this.kc = kc;
    this.core = kc.makeApiClient(CoreV1Api);
    this.name = name;
    this.namespace = namespace;
    this.log = log;
  }

  /** Reads the pod once (failing fast on missing RBAC or a wrong name), then watches it in the background. */
  async start(h: ControlHandlers): Promise<void> {
    let pod: V1Pod;
    try {
      pod = await this.core.readNamespacedPod({ name: this.name, namespace: this.namespace });
    } catch (err) {
      throw new Error(
        `cannot read own pod ${this.namespace}/${this.name}: ${(err as Error).message} (check SLUICE_POD_NAME/SLUICE_POD_NAMESPACE and RBAC get/watch/patch on pods)`,
        { cause: err },
      );
    }
    this.deliver(pod, h);
    void this.loop(h, pod.metadata?.resourceVersion);
  }

  private deliver(pod: V1Pod, h: ControlHandlers): void {
    const ann = pod.metadata?.annotations ?? {};
    const req = ann[ANN_CHECKPOINT_REQUEST];
    if (req && req !== this.lastSeen.request) {
      this.lastSeen.request = req;
      try {
        h.onCheckpointRequest(parseCheckpointRequest(req, `annotation ${ANN_CHECKPOINT_REQUEST}`));
      } catch (err) {
        this.log.error({ err: (err as Error).message }, 'ignoring malformed checkpoint request');
      }
    }
    const committed = ann[ANN_CHECKPOINT_COMMITTED];
    if (committed && committed !== this.lastSeen.committed) {
      this.lastSeen.committed = committed;
      try {
        h.onCommitted(parseCommitted(committed, `annotation ${ANN_CHECKPOINT_COMMITTED}`));
      } catch (err) {
        this.log.error({ err: (err as Error).message }, 'ignoring malformed committed annotation');
      }
    }
    const final = ann[ANN_CHECKPOINT_FINAL];
    if (final && final !== this.lastSeen.final) {
      this.lastSeen.final = final;
      try {
        h.onFinal(parseCommitted(final, `annotation ${ANN_CHECKPOINT_FINAL}`));
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
        this.log.warn({ err: ended.message, retryInMs: backoff }, 'pod watch failed; restarting');
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 10_000);
      } else {
        backoff = 500;
      }
      try {
        const pod = await this.core.readNamespacedPod({ name: this.name, namespace: this.namespace });
        this.deliver(pod, h);
        rv = pod.metadata?.resourceVersion;
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'cannot re-read own pod');
        rv = undefined;
      }
    }
  }

  /** One watch; resolves when it ends (null on a clean close, the error otherwise). */
  private watchOnce(h: ControlHandlers, rv: string | undefined): Promise<Error | null> {
    return new Promise((resolve) => {
      const w = new Watch(this.kc);
      w.watch(
        `/api/v1/namespaces/${this.namespace}/pods`,
        {
          fieldSelector: `metadata.name=${this.name}`,
          allowWatchBookmarks: true,
          ...(rv ? { resourceVersion: rv } : {}),
        },
        (phase: string, obj: V1Pod & { code?: number }) => {
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
    const body = { metadata: { annotations: { [ANN_CHECKPOINT_ACK]: JSON.stringify(ack) } } };
    try {
      await retryUntil(
        () =>
          this.core
            .patchNamespacedPod(
              { name: this.name, namespace: this.namespace, body },
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
        `cannot annotate own pod ${this.namespace}/${this.name} with the ack of checkpoint ${ack.id} before its timeout: ${(err as Error).message}`,
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

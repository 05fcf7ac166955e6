/**
 * Stands in for the kubelet in integration tests (the harness runs no kubelet): writes pod
 * status through the real API server's `pods/status` subresource, the way a kubelet reports a
 * container running, ready, failed, finished or stuck. The operator then sees real watch
 * events and real objects — only the node side is simulated.
 */
import {
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type V1ContainerStatus,
  type V1Pod,
  type V1PodStatus,
} from '@kubernetes/client-node';

/** What to report for a pod's containers. */
export type ContainerReport =
  | { kind: 'running'; ready: boolean }
  | { kind: 'waiting'; reason: string; message: string }
  | { kind: 'terminated'; exitCode: number; reason: string; message?: string };

function nowIso(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

function containerStatus(name: string, image: string, report: ContainerReport): V1ContainerStatus {
  const base = {
    name,
    image,
    imageID: `docker.io/library/${image}@sha256:${'0'.repeat(64)}`,
    restartCount: 0,
  };
  switch (report.kind) {
    case 'running':
      return {
        ...base,
        ready: report.ready,
        started: true,
        state: { running: { startedAt: new Date(nowIso()) } },
      };
    case 'waiting':
      return {
        ...base,
        ready: false,
        started: false,
        state: { waiting: { reason: report.reason, message: report.message } },
      };
    case 'terminated':
      return {
        ...base,
        ready: false,
        started: false,
        state: {
          terminated: {
            exitCode: report.exitCode,
            reason: report.reason,
            message: report.message,
            startedAt: new Date(nowIso()),
            finishedAt: new Date(nowIso()),
          },
        },
      };
  }
}

/** The pod status a kubelet would report for `report` on every container of `pod`. */
export function podStatusFor(pod: V1Pod, report: ContainerReport, podIP = '10.244.0.10'): V1PodStatus {
  const ready = report.kind === 'running' && report.ready;
  const phase =
    report.kind === 'running'
      ? 'Running'
      : report.kind === 'waiting'
        ? 'Pending'
        : report.exitCode === 0
          ? 'Succeeded'
          : 'Failed';
  const t = nowIso();
  const cond = (type: string, status: boolean) => ({
    type,
    status: status ? 'True' : 'False',
    lastTransitionTime: new Date(t),
  });
  return {
    phase,
    hostIP: '10.0.0.1',
    podIP,
    podIPs: [{ ip: podIP }],
    startTime: new Date(t),
    conditions: [
      cond('PodScheduled', true),
      cond('Initialized', true),
      cond('ContainersReady', ready),
      cond('Ready', ready),
    ],
    containerStatuses: (pod.spec?.containers ?? []).map((c) =>
      containerStatus(c.name, c.image ?? 'unknown', report),
    ),
  };
}

/** Writes pod status in one namespace; see the module comment. */
export class KubeletStandIn {
  readonly #core: CoreV1Api;
  readonly #namespace: string;
  #ipCounter = 10;

  constructor(kubeConfig: KubeConfig, namespace: string) {
    this.#core = kubeConfig.makeApiClient(CoreV1Api);
    this.#namespace = namespace;
  }

  /** Reports `report` for pod `name`. @throws the API error (e.g. 404 when the pod is gone). */
  async report(name: string, report: ContainerReport): Promise<V1Pod> {
    const pod = await this.#core.readNamespacedPod({ name, namespace: this.#namespace });
    const ip = `10.244.0.${(this.#ipCounter++ % 250) + 1}`;
    return this.#core.patchNamespacedPodStatus(
      { name, namespace: this.#namespace, body: { status: podStatusFor(pod, report, ip) } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }

  /** The container runs and passes its readiness probe. */
  markReady(name: string): Promise<V1Pod> {
    return this.report(name, { kind: 'running', ready: true });
  }

  /** The container runs but is not ready. */
  markNotReady(name: string): Promise<V1Pod> {
    return this.report(name, { kind: 'running', ready: false });
  }

  /** The container exited with `exitCode` (non-zero: pod Failed; 0: Succeeded). */
  markTerminated(name: string, exitCode: number, message?: string): Promise<V1Pod> {
    return this.report(name, {
      kind: 'terminated',
      exitCode,
      reason: exitCode === 0 ? 'Completed' : 'Error',
      message,
    });
  }

  /** The container cannot start, e.g. `ImagePullBackOff`. */
  markWaiting(name: string, reason: string, message: string): Promise<V1Pod> {
    return this.report(name, { kind: 'waiting', reason, message });
  }

  /** Marks every pod matching `labelSelector` that is not being deleted as ready; returns their names. */
  async markAllReady(labelSelector: string): Promise<string[]> {
    const pods = await this.#core.listNamespacedPod({ namespace: this.#namespace, labelSelector });
    const todo = pods.items.filter((p) => !p.metadata?.deletionTimestamp);
    const pending = todo.filter(
      (p) => !p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
    );
    // A few at a time, as kubelets on several nodes would.
    for (let i = 0; i < pending.length; i += 8) {
      await Promise.all(pending.slice(i, i + 8).map((p) => this.markReady(p.metadata!.name!)));
    }
    return todo.map((p) => p.metadata!.name!).sort();
  }
}

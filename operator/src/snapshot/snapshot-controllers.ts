/**
 * Wiring of the StreamJobSnapshot side of the operator (docs/snapshots.md "Snapshot objects"):
 * one snapshot informer per watched scope, the `streamjobsnapshot` controller (one key per
 * snapshot object) and the `snapshotrecord` controller (one key per StreamJob whose savepoint
 * history may need records). StreamJob changes reach both through the Manager's job informers:
 * a changed savepoint history or handled request enqueues the job's records and its snapshots
 * that are not finished.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { StreamJob } from '@sluice/api/streamjob.ts';
import type { StreamJobSnapshot } from '@sluice/api/streamjobsnapshot.ts';
import type { Clock } from '../kube/clock.ts';
import { Controller } from '../kube/controller.ts';
import type { EventRecorder } from '../kube/events.ts';
import { Informer, kubeListWatch } from '../kube/informer.ts';
import type { Logger } from '../kube/logger.ts';
import type { RuntimeMetrics } from '../kube/metrics.ts';
import { defaultControllerRateLimiter, type RateLimitOptions } from '../kube/rate-limiter.ts';
import { WorkQueue } from '../kube/workqueue.ts';
import type { StorageDefaults } from '../streamjob/storage.ts';
import type { StreamJobClient } from '../streamjob/streamjob-client.ts';
import { jobSnapshotsChanged, snapshotChangeMatters } from './predicates.ts';
import { StreamJobSnapshotClient } from './snapshot-client.ts';
import { SnapshotRecordReconciler } from './snapshot-record-reconciler.ts';
import { StreamJobSnapshotReconciler } from './snapshot-reconciler.ts';
import type { SnapshotStorage } from './snapshot-storage.ts';

/** What {@link SnapshotControllers} is built from. */
export interface SnapshotControllersOptions {
  kubeConfig: KubeConfig;
  jobs: StreamJobClient;
  /** Watched namespaces; undefined: one cluster-wide scope. */
  scopes: Array<string | undefined>;
  storage: SnapshotStorage;
  storageDefaults: StorageDefaults;
  events: EventRecorder;
  clock: Clock;
  log: Logger;
  metrics: RuntimeMetrics;
  retry: RateLimitOptions;
  concurrency: number;
  resyncPeriodMs: number;
  reconcileTimeoutMs: number;
}

/** See the module comment. */
export class SnapshotControllers {
  readonly informers: Informer<StreamJobSnapshot>[] = [];
  readonly snapshots: Controller;
  readonly records: Controller;
  readonly recordReconciler: SnapshotRecordReconciler;

  constructor(o: SnapshotControllersOptions) {
    const client = new StreamJobSnapshotClient(o.kubeConfig);
    const common = {
      metrics: o.metrics,
      log: o.log,
      clock: o.clock,
      concurrency: o.concurrency,
      reconcileTimeoutMs: o.reconcileTimeoutMs,
    };
    const queue = (name: string) =>
      new WorkQueue({
        clock: o.clock,
        rateLimiter: defaultControllerRateLimiter(o.retry),
        observer: o.metrics.queueObserver(name),
      });
    this.snapshots = new Controller({
      ...common,
      name: 'streamjobsnapshot',
      queue: queue('streamjobsnapshot'),
      reconciler: new StreamJobSnapshotReconciler({
        snapshots: client,
        jobs: o.jobs,
        storage: o.storage,
        storageDefaults: o.storageDefaults,
        events: o.events,
        clock: o.clock,
      }),
    });
    this.recordReconciler = new SnapshotRecordReconciler({
      snapshots: client,
      jobs: o.jobs,
      storageDefaults: o.storageDefaults,
      cached: (ns) => this.cached(ns),
    });
    this.records = new Controller({
      ...common,
      name: 'snapshotrecord',
      queue: queue('snapshotrecord'),
      reconciler: this.recordReconciler,
    });
    for (const ns of o.scopes) {
      const informer = new Informer<StreamJobSnapshot>({
        name: `streamjobsnapshots${ns ? `/${ns}` : ''}`,
        listWatch: kubeListWatch(o.kubeConfig, StreamJobSnapshotClient.collectionPath(ns), () =>
          client.list(ns),
        ),
        clock: o.clock,
        log: o.log,
        resyncPeriodMs: o.resyncPeriodMs,
        onRestart: () => o.metrics.informerRestarts.inc({ informer: 'streamjobsnapshots' }),
      });
      const enqueue = (s: StreamJobSnapshot) =>
        this.snapshots.enqueue(s.metadata?.namespace ?? '', s.metadata?.name ?? '');
      informer.addHandlers({
        onAdd: enqueue,
        onUpdate: (a, b) => {
          if (snapshotChangeMatters(a, b)) enqueue(b);
        },
        onDelete: enqueue,
      });
      this.informers.push(informer);
    }
  }

  /** The snapshot objects of `namespace` in the informers' caches. */
  cached(namespace: string): StreamJobSnapshot[] {
    return this.informers.flatMap((i) => i.list()).filter((s) => s.metadata?.namespace === namespace);
  }

  /** Handlers for the Manager's StreamJob informers (see the module comment). */
  onJob(a: StreamJob | undefined, b: StreamJob): void {
    if (a && !jobSnapshotsChanged(a, b)) return;
    const ns = b.metadata?.namespace ?? '';
    const name = b.metadata?.name ?? '';
    if (b.status?.savepoints?.history?.length) this.records.enqueue(ns, name);
    for (const s of this.cached(ns)) {
      const phase = s.status?.phase;
      if (s.spec.jobName === name && !s.spec.alreadyExists && phase !== 'Completed' && phase !== 'Failed') {
        this.snapshots.enqueue(ns, s.metadata?.name ?? '');
      }
    }
  }

  /** Whether every snapshot informer has synced. */
  hasSynced(): boolean {
    return this.informers.every((i) => i.hasSynced());
  }

  start(): void {
    for (const i of this.informers) i.start();
    this.snapshots.start();
    this.records.start();
  }

  async stop(drainTimeoutMs: number): Promise<void> {
    await Promise.all([this.snapshots.stop(drainTimeoutMs), this.records.stop(drainTimeoutMs)]);
    await Promise.all(this.informers.map((i) => i.stop()));
  }
}

/**
 * The manager: everything the reconciler never sees. It runs leader election, and — only while
 * leading — the informers (StreamJobs and the worker pods, per watched namespace or cluster-wide)
 * and the StreamJob controller; it serves health, readiness and metrics; and it shuts down in
 * order on request. Clients are built from one injected KubeConfig.
 */
import {
  CoreV1Api,
  NetworkingV1Api,
  RbacAuthorizationV1Api,
  type KubeConfig,
  type V1Pod,
} from '@kubernetes/client-node';
import type { Registry } from 'prom-client';
import type { StreamJob } from '@sluice/api/streamjob.ts';
import { CheckpointCoordinator } from './checkpoint/checkpoint-coordinator.ts';
import { AttemptSupervisor } from './lifecycle/attempt-supervisor.ts';
import { Recovery } from './lifecycle/recovery.ts';
import type { CrashPoints } from './checkpoint/crash-points.ts';
import { CheckpointMetrics } from './checkpoint/checkpoint-metrics.ts';
import type { OperatorConfig } from './config.ts';
import type { Clock } from './kube/clock.ts';
import { Controller } from './kube/controller.ts';
import { IdleCollector } from './kube/idle-gc.ts';
import { KubeEventRecorder } from './kube/events.ts';
import type { Informer } from './kube/informer.ts';
import { LeaderElector, kubeLeaseClient } from './kube/leader-election.ts';
import type { Logger } from './kube/logger.ts';
import { RuntimeMetrics } from './kube/metrics.ts';
import { defaultControllerRateLimiter } from './kube/rate-limiter.ts';
import { WorkQueue } from './kube/workqueue.ts';
import { startHttpServer, type RunningHttpServer } from './http-server.ts';
import { StreamJobSnapshotClient } from './snapshot/snapshot-client.ts';
import { OperatorSnapshotStorage } from './snapshot/snapshot-storage.ts';
import { SnapshotControllers } from './snapshot/snapshot-controllers.ts';
import { ChildObjects } from './streamjob/children.ts';
import { ClusterCache } from './streamjob/cluster-cache.ts';
import { streamJobInformers } from './streamjob/informers.ts';
import { keptSavepointDirs } from './streamjob/on-delete.ts';
import { resolveStorage, type EffectiveStorage } from './streamjob/storage.ts';
import { deleteJobData } from './checkpoint/job-data-store.ts';
import { JobCredentials } from './streamjob/job-credentials.ts';
import { JobMetrics } from './streamjob/job-metrics.ts';
import { CONTROLLER_NAME } from './streamjob/names.ts';
import { jobChangeMatters, owningJobKey } from './streamjob/predicates.ts';
import { podUpdateWakes } from './checkpoint/ack-wakeup.ts';
import { SnapshotKeys } from './streamjob/snapshot-keys.ts';
import { NodeWatch } from './streamjob/node-watch.ts';
import { StreamJobReconciler } from './reconcile/reconciler.ts';
import { StreamJobClient } from './streamjob/streamjob-client.ts';

/** Dependencies of {@link Manager}. */
export interface ManagerOptions {
  config: OperatorConfig;
  kubeConfig: KubeConfig;
  log: Logger;
  registry: Registry;
  clock: Clock;
  /** Called when leadership is lost (the process should exit: another replica leads now). */
  onLeadershipLost(): void;
  /** Fault tests' crash points (checkpoint/crash-points.ts); unset: none. */
  crashPoints?: CrashPoints;
}

/** See the module comment. */
export class Manager {
  readonly #o: ManagerOptions;
  readonly metrics: RuntimeMetrics;
  readonly jobMetrics: JobMetrics;
  readonly checkpointMetrics: CheckpointMetrics;
  readonly events: KubeEventRecorder;
  readonly controller: Controller;
  /** StreamJob informers, one per watched namespace (or one cluster-wide). */
  readonly jobInformers: Informer<StreamJob>[] = [];
  /** Worker pod informers, one per watched namespace (or one cluster-wide). */
  readonly podInformers: Informer<V1Pod>[] = [];
  /** Nodes and their heartbeat Leases; undefined with `--node-loss=off`. */
  readonly nodeWatch: NodeWatch | undefined;
  /** StreamJobSnapshot informers and controllers (snapshot/snapshot-controllers.ts). */
  readonly snapshotControllers: SnapshotControllers;
  readonly #stopElection = new AbortController();
  readonly #idleCollector: IdleCollector;
  #elector: LeaderElector | undefined;
  #election: Promise<void> | undefined;
  #http: RunningHttpServer | undefined;
  #leading = false;
  #stopping = false;

  constructor(options: ManagerOptions) {
    this.#o = options;
    const { config, kubeConfig, log, registry, clock } = options;
    this.metrics = new RuntimeMetrics(registry);
    this.jobMetrics = new JobMetrics(registry);
    this.events = new KubeEventRecorder({
      kubeConfig,
      controller: CONTROLLER_NAME,
      instance: config.identity,
      clock,
      log,
    });
    const core = kubeConfig.makeApiClient(CoreV1Api);
    const scopes: Array<string | undefined> = config.namespaces.length > 0 ? config.namespaces : [undefined];
    // The informer of a namespace: the one cluster-wide informer, or that namespace's own.
    const scopeOf = (ns: string) => (scopes[0] === undefined ? 0 : scopes.indexOf(ns));
    const cache = new ClusterCache(
      (ns) => this.jobInformers[scopeOf(ns)],
      (ns) => this.podInformers[scopeOf(ns)],
    );
    const jobs = new StreamJobClient(kubeConfig, (job) => cache.wroteJob(job));
    const children = new ChildObjects({
      core,
      rbac: kubeConfig.makeApiClient(RbacAuthorizationV1Api),
      networking: kubeConfig.makeApiClient(NetworkingV1Api),
    });
    this.checkpointMetrics = new CheckpointMetrics(registry);
    // Lost nodes (docs/checkpointing.md "Lost nodes and fencing"): a node turning lost makes
    // every job with a pod on it reconcile at once, since its silent kubelet sends no pod event.
    this.nodeWatch =
      config.nodeLoss.policy === 'off'
        ? undefined
        : new NodeWatch({
            kubeConfig,
            clock,
            log,
            leaseGraceMs: config.nodeLoss.leaseGraceMs,
            onNodeLost: (loss) => {
              for (const pod of this.podInformers.flatMap((i) => i.list())) {
                if (pod.spec?.nodeName !== loss.node) continue;
                const key = owningJobKey(pod);
                if (key)
                  this.controller.enqueue(key.slice(0, key.indexOf('/')), key.slice(key.indexOf('/') + 1));
              }
            },
            onRestart: (informer) => this.metrics.informerRestarts.inc({ informer }),
          });
    const credentials = new JobCredentials({
      children,
      core,
      clock,
      durationSeconds: Math.round(config.storageCredentialsDurationMs / 1000),
      timeoutMs: config.storageTimeoutMs,
      recheckMs: config.resyncPeriodMs,
    });
    const snapshotKeys = new SnapshotKeys(clock, config.resyncPeriodMs, children);
    // Acting for a job, the operator uses that job's credentials, never its own default keys
    // (docs/security.md "Per-job storage credentials").
    const jobCredentials = (job: StreamJob, storage: EffectiveStorage, signal: AbortSignal) =>
      credentials.forJob(job, storage, signal);
    const decode = (v: string) => Buffer.from(v, 'base64').toString('utf8');
    this.snapshotControllers = new SnapshotControllers({
      kubeConfig,
      jobs,
      scopes,
      storage: new OperatorSnapshotStorage({
        defaults: config.storage,
        credentials: jobCredentials,
        // Only for a deleted job's snapshot in the default bucket (snapshot-storage.ts).
        defaultCredentials: async () => {
          const b64 = await children.readCredentials(
            config.storage.credentialsNamespace,
            config.storage.credentialsSecret ?? '',
          );
          return { accessKey: decode(b64.accessKey), secretKey: decode(b64.secretKey) };
        },
        timeoutMs: config.storageTimeoutMs,
      }),
      storageDefaults: config.storage,
      events: this.events,
      clock,
      log,
      metrics: this.metrics,
      retry: config.retry,
      concurrency: config.maxConcurrentReconciles,
      resyncPeriodMs: config.resyncPeriodMs,
      reconcileTimeoutMs: config.reconcileTimeoutMs,
    });
    // The job's snapshot key, which the reconcile created before any pod (snapshot-key.ts).
    const snapshotKey = (job: StreamJob) => snapshotKeys.forJob(job);
    const coordinator = new CheckpointCoordinator({
      jobs,
      cache,
      core,
      events: this.events,
      clock,
      metrics: this.checkpointMetrics,
      storageTimeoutMs: config.storageTimeoutMs,
      ...(options.crashPoints ? { crashPoints: options.crashPoints } : {}),
      credentials: jobCredentials,
      forgetCredentials: (job, storage) => credentials.forget(job, storage),
      onSavepointsDisposed: (job, ids) => this.snapshotControllers.recordReconciler.deleteRecords(job, ids),
      snapshotKey,
    });
    const recovery = new Recovery({
      ...(this.nodeWatch ? { nodes: this.nodeWatch } : {}),
      jobs,
      events: this.events,
      clock,
      s3: (job, storage, signal) => coordinator.storageClient(job, storage, signal),
      snapshotKey,
    });
    const reconciler = new StreamJobReconciler({
      jobs,
      cache,
      resyncPeriodMs: config.resyncPeriodMs,
      core,
      children,
      events: this.events,
      clock,
      storageDefaults: config.storage,
      credentials,
      snapshotKeys,
      worker: config.worker,
      metrics: this.jobMetrics,
      supervisor: new AttemptSupervisor(coordinator, recovery),
      supportedRequests: new Set(['restart', 'checkpoint', 'savepoint']),
      ...(this.nodeWatch ? { nodes: this.nodeWatch } : {}),
      nodeLoss: config.nodeLoss.policy,
      workerNetworkPolicy: config.workerNetworkPolicy,
      snapshots: new StreamJobSnapshotClient(kubeConfig),
      onDelete: {
        recordSavepoints: (job, ctx) => this.snapshotControllers.recordReconciler.recordJob(job, ctx),
        deleteData: async (job, ctx) => {
          const resolved = resolveStorage(job, config.storage);
          if (!resolved.ok) throw new Error(resolved.message);
          const s3 = await coordinator.storageClient(job, resolved.storage, ctx.signal);
          const kept = keptSavepointDirs(job, this.snapshotControllers.cached(job.metadata!.namespace!));
          return deleteJobData(s3, resolved.storage, kept);
        },
      },
    });
    // Memory back after a burst (kube/idle-gc.ts): 500 reconciles, then 10 s without one.
    this.#idleCollector = new IdleCollector({ clock, log, minWork: 500, quietMs: 10_000 });
    const observer = this.#idleCollector.observe(this.metrics.queueObserver('streamjob'));
    const queue = new WorkQueue({ clock, rateLimiter: defaultControllerRateLimiter(config.retry), observer });
    this.controller = new Controller({
      name: 'streamjob',
      reconciler,
      queue,
      concurrency: config.maxConcurrentReconciles,
      metrics: this.metrics,
      log,
      clock,
      reconcileTimeoutMs: config.reconcileTimeoutMs,
    });

    for (const namespace of scopes) {
      const { jobs: jobInformer, pods: podInformer } = streamJobInformers({
        kubeConfig,
        core,
        jobs,
        namespace,
        clock,
        log,
        resyncPeriodMs: config.resyncPeriodMs,
        onRestart: (informer) => this.metrics.informerRestarts.inc({ informer }),
      });
      const enqueueJob = (j: StreamJob) =>
        this.controller.enqueue(j.metadata?.namespace ?? '', j.metadata?.name ?? '');
      jobInformer.addHandlers({
        onAdd: (j) => {
          enqueueJob(j);
          this.snapshotControllers.onJob(undefined, j);
        },
        onUpdate: (a, b) => {
          if (jobChangeMatters(a, b)) enqueueJob(b);
          this.snapshotControllers.onJob(a, b);
        },
        onDelete: enqueueJob,
      });
      this.jobInformers.push(jobInformer);

      const enqueueOwner = (p: V1Pod) => {
        const key = owningJobKey(p);
        if (key) this.controller.enqueue(key.slice(0, key.indexOf('/')), key.slice(key.indexOf('/') + 1));
      };
      podInformer.addHandlers({
        onAdd: enqueueOwner,
        onUpdate: (a, b) => {
          if (podUpdateWakes(a, b, () => cache.podsOf(b))) enqueueOwner(b);
        },
        onDelete: enqueueOwner,
      });
      this.podInformers.push(podInformer);
    }
  }

  /** Whether this process currently leads (always true without leader election once started). */
  isLeader(): boolean {
    return this.#leading;
  }

  /** Port of the HTTP server (after start). */
  get httpPort(): number | undefined {
    return this.#http?.port;
  }

  /**
   * Starts the HTTP server and leader election (or the controllers directly when leader
   * election is off). Resolves once the HTTP server listens.
   * @throws Error when the HTTP server cannot listen.
   */
  async start(): Promise<void> {
    const { config, kubeConfig, log, clock, registry } = this.#o;
    this.#http = await startHttpServer({
      host: config.http.host,
      port: config.http.port,
      registry,
      liveness: { ping: () => undefined },
      readiness: {
        shutdown: () => (this.#stopping ? 'shutting down' : undefined),
        informers: () => {
          if (!this.#leading) return undefined; // a standby is ready to take over
          const pending = [
            ...this.jobInformers,
            ...this.podInformers,
            ...this.snapshotControllers.informers,
          ].filter((i) => !i.hasSynced()).length;
          return pending > 0 ? `${pending} informer(s) not synced yet` : undefined;
        },
      },
    });
    log.info(
      {
        port: this.#http.port,
        namespaces: config.namespaces.length ? config.namespaces : 'all',
        identity: config.identity,
      },
      'operator started',
    );
    const lease = `${config.leaderElection.namespace}/${config.leaderElection.leaseName}`;
    this.metrics.leaderStatus.set({ name: lease }, 0);
    if (!config.leaderElection.enabled) {
      this.#startControllers();
      return;
    }
    this.#elector = new LeaderElector({
      client: kubeLeaseClient(kubeConfig, config.leaderElection.namespace, config.leaderElection.leaseName),
      identity: config.identity,
      timing: config.leaderElection.timing,
      clock,
      log: log.child({ lease }),
      onStartedLeading: () => {
        this.metrics.leaderStatus.set({ name: lease }, 1);
        this.#startControllers();
      },
      onStoppedLeading: () => {
        this.metrics.leaderStatus.set({ name: lease }, 0);
        this.#leading = false;
        this.#o.onLeadershipLost();
      },
      onNewLeader: (id) => log.info({ leader: id }, 'observed leader'),
    });
    log.info({ lease }, 'waiting to acquire the leader lease');
    this.#election = this.#elector.run(this.#stopElection.signal);
  }

  /**
   * Starts the informers, and the StreamJob controller once its informers have synced: reconciles
   * read the caches (streamjob/cluster-cache.ts), and a pod cache not yet filled would show every
   * worker as missing.
   */
  #startControllers(): void {
    this.#leading = true;
    const informers = [...this.jobInformers, ...this.podInformers];
    for (const i of informers) i.start();
    this.nodeWatch?.start();
    this.snapshotControllers.start();
    void Promise.all(informers.map((i) => i.waitForSync())).then(() => {
      if (!this.#stopping) this.controller.start();
    });
  }

  /**
   * Graceful shutdown: report not ready, stop taking work and let running reconciles finish
   * (up to the configured timeout), stop the informers, release the Lease, flush Events, close
   * the HTTP server.
   */
  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    const { log, config } = this.#o;
    log.info({}, 'shutting down');
    if (this.#leading) {
      await Promise.all([
        this.controller.stop(config.shutdownTimeoutMs),
        this.snapshotControllers.stop(config.shutdownTimeoutMs),
      ]);
    }
    await Promise.all([...this.jobInformers, ...this.podInformers].map((i) => i.stop()));
    await this.nodeWatch?.stop();
    this.#idleCollector.stop();
    this.#stopElection.abort();
    await this.#election;
    this.#leading = false;
    await this.events.flush();
    await this.#http?.close();
    log.info({}, 'stopped');
  }
}

/**
 * Entry point of a worker process: `node runtime-image/src/main.ts` (Node ≥ 24 runs the
 * TypeScript sources by type stripping).
 *
 * Exit codes: 0 after a completed stop-with-savepoint; 1 on any failure, after one JSON log line
 * `{"level":"fatal","event":"worker-failed","reason":<error class>,"msg":<message>,...}` on stdout
 * (the operator turns it into status conditions; in a pod it is also written to the container's
 * termination message, /dev/termination-log, when that file exists); 143 on SIGTERM.
 */
import './v8-flags.ts';
import { existsSync, writeFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { readWorkerConfig, type WorkerConfig } from './config.ts';
import { openRestoredState } from './checkpoint/restore.ts';
import { LocalControl } from './control/local-control.ts';
import type { ControlChannel } from './control/control.ts';
import { HealthServer } from './control/health-server.ts';
import { ObjectStore } from './io/object-store.ts';
import { loadJob } from './jobs/registry.ts';
import { MetricsReporter } from './metrics/metrics-reporter.ts';
import { createLogger } from './log.ts';
import { Worker } from './runtime/worker.ts';

const TERMINATION_LOG = process.env.SLUICE_TERMINATION_LOG || '/dev/termination-log';

/** Logs the failure as one JSON line and exits 1. */
function die(log: Logger, err: unknown, stage: string): never {
  const e = err instanceof Error ? err : new Error(String(err));
  const extra = e as Error & { object?: string; section?: string };
  log.fatal(
    {
      event: 'worker-failed',
      stage,
      reason: e.name,
      ...(extra.object ? { object: extra.object } : {}),
      ...(extra.section ? { section: extra.section } : {}),
      ...(e.cause instanceof Error ? { cause: e.cause.message } : {}),
    },
    e.message,
  );
  if (existsSync(TERMINATION_LOG)) {
    try {
      writeFileSync(TERMINATION_LOG, `${e.name}: ${e.message}`.slice(0, 4000));
    } catch {
      // Not in a pod, or not writable: the log line is enough.
    }
  }
  process.exit(1);
}

/** The control channel; the Kubernetes client (slow to load) only in pod mode. */
async function controlFor(c: WorkerConfig, log: Logger): Promise<ControlChannel> {
  if (c.controlMode === 'local') return new LocalControl(c.controlPort, log);
  const [{ KubeConfig }, { PodControl }] = await Promise.all([
    import('@kubernetes/client-node'),
    import('./control/pod-control.ts'),
  ]);
  const kc = new KubeConfig();
  kc.loadFromDefault();
  return new PodControl(
    kc,
    { pod: c.podName, namespace: c.podNamespace, job: c.jobName, attempt: c.attempt },
    log,
  );
}

async function main(): Promise<void> {
  let log = createLogger({});
  let config: WorkerConfig;
  try {
    config = readWorkerConfig(process.env);
  } catch (err) {
    die(log, err, 'config');
  }
  log = createLogger({ job: config.jobName, subtask: config.subtask, attempt: config.attempt });
  // Anything escaping the worker's own error handling still ends in one JSON fatal line.
  process.on('uncaughtException', (err) => die(log, err, 'run'));
  process.on('unhandledRejection', (err) => die(log, err, 'run'));
  const storeFor = (bucket: string) =>
    ObjectStore.fromConfig({
      ...config.storage,
      bucket,
      onRetry: (r) =>
        log.warn(
          { call: r.what, attempt: r.attempt, delayMs: r.delayMs, err: (r.error as Error)?.message },
          'storage call failed; retrying',
        ),
    });
  const store = storeFor(config.storage.bucket);

  let stage = 'load-job';
  try {
    const definition = await loadJob(config.jobEntry);
    stage = 'restore';
    const t0 = performance.now();
    const from = config.restoreFrom;
    const restored = from
      ? await openRestoredState(
          from.bucket ? storeFor(from.bucket) : store,
          from.path,
          config,
          {
            jobBucket: config.storage.bucket,
            jobPrefix: config.storage.prefix,
            snapshotKey: config.snapshotKey,
          },
          // The downloaded files go where the state goes (the worker reads them, then removes them).
          config.state.backend === 'rocksdb' ? config.state.dir : undefined,
        )
      : undefined;
    if (restored) {
      log.info(
        {
          restoreFrom: restored.path,
          bytesRead: restored.bytesRead,
          authenticated: restored.authenticated,
          durationMs: Math.round(performance.now() - t0),
        },
        'snapshot loaded',
      );
      if (!restored.authenticated) {
        log.info(
          { restoreFrom: restored.path },
          config.snapshotKey
            ? "snapshot is not under the job prefix (e.g. another job's savepoint): its _metadata MAC was not checked, its files were"
            : 'no snapshot key (SLUICE_SNAPSHOT_KEY unset): _metadata MAC not checked, its files were',
        );
      }
    }
    stage = 'run';
    const control = await controlFor(config, log);
    const worker = new Worker({
      config,
      definition,
      store,
      storeFor,
      control,
      log,
      ...(restored ? { restored } : {}),
    });
    const metrics = new MetricsReporter(
      { job: config.jobName, subtask: config.subtask },
      () => worker.taskSamples(),
      undefined,
      () => worker.sourceMetricFamilies(),
    );
    metrics.start();
    const health =
      config.healthPort > 0
        ? new HealthServer(
            config.healthPort,
            () => worker.status(),
            () => metrics.render(),
          )
        : undefined;
    await health?.start();
    process.once('SIGTERM', () => {
      log.info('SIGTERM: stopping without a savepoint');
      void worker.teardown().finally(() => process.exit(143));
    });
    await worker.run();
    await Promise.all([control.close(), health?.close()]);
    log.info('worker finished');
    process.exit(0);
  } catch (err) {
    die(log, err, stage);
  }
}

void main();

/**
 * Per-job checkpoint metrics on the operator's prom-client registry, derived from the status the
 * coordinator wrote (so they agree with `kubectl get streamjob -o yaml`).
 */
import { Gauge, type Registry } from 'prom-client';
import type { StreamJobStatus } from '@sluice/api/streamjob.ts';

type JobLabels = 'namespace' | 'name';

/** See the module comment. */
export class CheckpointMetrics {
  readonly #lastId: Gauge<JobLabels>;
  readonly #completedAt: Gauge<JobLabels>;
  readonly #duration: Gauge<JobLabels>;
  readonly #bytes: Gauge<JobLabels>;
  readonly #failures: Gauge<JobLabels>;

  constructor(registry: Registry) {
    const labelNames = ['namespace', 'name'] as const;
    this.#lastId = new Gauge({
      name: 'sluice_checkpoint_last_completed_id',
      help: 'Id of the last completed checkpoint of the StreamJob.',
      labelNames,
      registers: [registry],
    });
    this.#completedAt = new Gauge({
      name: 'sluice_checkpoint_last_completed_timestamp_seconds',
      help: 'Unix time (seconds) the last checkpoint completed; age = time() - this.',
      labelNames,
      registers: [registry],
    });
    this.#duration = new Gauge({
      name: 'sluice_checkpoint_last_duration_seconds',
      help: 'Seconds from trigger to completion of the last completed checkpoint.',
      labelNames,
      registers: [registry],
    });
    this.#bytes = new Gauge({
      name: 'sluice_checkpoint_last_size_bytes',
      help: 'Bytes the workers uploaded for the last completed checkpoint.',
      labelNames,
      registers: [registry],
    });
    this.#failures = new Gauge({
      name: 'sluice_checkpoint_failures',
      help: 'Checkpoints and savepoints aborted since the StreamJob was created (status.checkpoints.failed).',
      labelNames,
      registers: [registry],
    });
  }

  /** Updates the gauges of one job from its status. */
  observe(namespace: string, name: string, status: StreamJobStatus | undefined): void {
    const l = { namespace, name };
    const c = status?.checkpoints;
    this.#failures.set(l, c?.failed ?? 0);
    const last = c?.lastCompleted;
    if (!last) return;
    this.#lastId.set(l, last.id);
    if (last.completedAt) this.#completedAt.set(l, Date.parse(last.completedAt) / 1000);
    if (last.durationMs !== undefined) this.#duration.set(l, last.durationMs / 1000);
    if (last.bytes !== undefined) this.#bytes.set(l, last.bytes);
  }

  /** Drops the series of a deleted job. */
  forget(namespace: string, name: string): void {
    for (const g of [this.#lastId, this.#completedAt, this.#duration, this.#bytes, this.#failures]) {
      g.remove({ namespace, name });
    }
  }
}

/**
 * Per-job Prometheus gauges, labelled `{namespace, name}` and removed when the job is deleted:
 *
 * - `sluice_streamjob_workers{namespace,name,state="ready"|"desired"}`
 * - `sluice_streamjob_attempt{namespace,name}` — the current attempt number
 * - `sluice_streamjob_restarts{namespace,name}` — status.restarts
 * - `sluice_streamjob_phase{namespace,name,phase}` — 1 for the current phase, 0 for the others
 * - `sluice_streamjob_condition{namespace,name,type}` — 1 when the condition is True, else 0
 */
import { Gauge, type Registry } from 'prom-client';
import { STREAM_JOB_PHASES, type StreamJob } from '@sluice/api/streamjob.ts';
import { DEGRADED, PROGRESSING, READY, isConditionTrue } from './conditions.ts';

/** See the module comment. */
export class JobMetrics {
  readonly #workers: Gauge<'namespace' | 'name' | 'state'>;
  readonly #attempt: Gauge<'namespace' | 'name'>;
  readonly #restarts: Gauge<'namespace' | 'name'>;
  readonly #phase: Gauge<'namespace' | 'name' | 'phase'>;
  readonly #condition: Gauge<'namespace' | 'name' | 'type'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.#workers = new Gauge({
      name: 'sluice_streamjob_workers',
      help: 'Worker pods of the current attempt: ready, and desired (parallelism)',
      labelNames: ['namespace', 'name', 'state'],
      registers,
    });
    this.#attempt = new Gauge({
      name: 'sluice_streamjob_attempt',
      help: 'Current attempt number of the job',
      labelNames: ['namespace', 'name'],
      registers,
    });
    this.#restarts = new Gauge({
      name: 'sluice_streamjob_restarts',
      help: 'Failure restarts of the job (status.restarts)',
      labelNames: ['namespace', 'name'],
      registers,
    });
    this.#phase = new Gauge({
      name: 'sluice_streamjob_phase',
      help: '1 for the phase the job is in, 0 for the others',
      labelNames: ['namespace', 'name', 'phase'],
      registers,
    });
    this.#condition = new Gauge({
      name: 'sluice_streamjob_condition',
      help: '1 when the condition of the given type is True, else 0',
      labelNames: ['namespace', 'name', 'type'],
      registers,
    });
  }

  /** Sets the gauges of `job` from its status. */
  observe(job: StreamJob): void {
    const namespace = job.metadata?.namespace ?? '';
    const name = job.metadata?.name ?? '';
    const st = job.status ?? {};
    this.#workers.set({ namespace, name, state: 'ready' }, st.workers?.ready ?? 0);
    this.#workers.set({ namespace, name, state: 'desired' }, st.workers?.total ?? 0);
    this.#attempt.set({ namespace, name }, st.attempt ?? 0);
    this.#restarts.set({ namespace, name }, st.restarts ?? 0);
    for (const phase of STREAM_JOB_PHASES)
      this.#phase.set({ namespace, name, phase }, st.phase === phase ? 1 : 0);
    for (const type of [READY, PROGRESSING, DEGRADED]) {
      this.#condition.set({ namespace, name, type }, isConditionTrue(st.conditions, type) ? 1 : 0);
    }
  }

  /** Removes every series of job `namespace/name`. */
  forget(namespace: string, name: string): void {
    // prom-client removes exact label sets only, so every combination is named.
    for (const state of ['ready', 'desired']) this.#workers.remove({ namespace, name, state });
    this.#attempt.remove({ namespace, name });
    this.#restarts.remove({ namespace, name });
    for (const phase of STREAM_JOB_PHASES) this.#phase.remove({ namespace, name, phase });
    for (const type of [READY, PROGRESSING, DEGRADED]) this.#condition.remove({ namespace, name, type });
  }
}

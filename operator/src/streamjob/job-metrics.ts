/**
 * Per-job Prometheus gauges, labelled `{namespace, name}` and removed when the job is deleted:
 *
 * - `sluice_streamjob_workers{namespace,name,state="ready"|"desired"}`
 * - `sluice_streamjob_attempt{namespace,name}` — the current attempt number
 * - `sluice_streamjob_restarts{namespace,name}` — status.restarts
 * - `sluice_streamjob_phase{namespace,name,phase}` — 1, one series per job, labelled with the
 *   phase it is in; a phase change replaces the series. (kube-state-metrics'
 *   `kube_pod_status_phase` also keeps a 0 series for every other phase: at 1000 jobs that is
 *   8000 more series to hold and to render on every scrape, docs/operator.md "Memory under
 *   load".)
 * - `sluice_streamjob_condition{namespace,name,type}` — 1 when the condition is True, else 0
 */
import { Gauge, type Registry } from 'prom-client';
import type { StreamJob } from '@sluice/api/streamjob.ts';
import { DEGRADED, PROGRESSING, READY, isConditionTrue } from './conditions.ts';

/** See the module comment. */
export class JobMetrics {
  readonly #workers: Gauge<'namespace' | 'name' | 'state'>;
  readonly #attempt: Gauge<'namespace' | 'name'>;
  readonly #restarts: Gauge<'namespace' | 'name'>;
  readonly #phase: Gauge<'namespace' | 'name' | 'phase'>;
  readonly #condition: Gauge<'namespace' | 'name' | 'type'>;
  /** The phase each job's phase series has, by `namespace/name`. */
  readonly #phaseOf = new Map<string, string>();

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
      help: '1, labelled with the phase the job is in (one series per job)',
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
    this.#observePhase(namespace, name, st.phase);
    for (const type of [READY, PROGRESSING, DEGRADED]) {
      this.#condition.set({ namespace, name, type }, isConditionTrue(st.conditions, type) ? 1 : 0);
    }
  }

  /** Replaces the job's phase series when its phase changed; `undefined` removes it. */
  #observePhase(namespace: string, name: string, phase: string | undefined): void {
    const key = `${namespace}/${name}`;
    const was = this.#phaseOf.get(key);
    if (was === phase) return;
    if (was !== undefined) this.#phase.remove({ namespace, name, phase: was });
    if (phase === undefined) {
      this.#phaseOf.delete(key);
      return;
    }
    this.#phase.set({ namespace, name, phase }, 1);
    this.#phaseOf.set(key, phase);
  }

  /** Removes every series of job `namespace/name`. */
  forget(namespace: string, name: string): void {
    // prom-client removes exact label sets only, so every combination is named.
    for (const state of ['ready', 'desired']) this.#workers.remove({ namespace, name, state });
    this.#attempt.remove({ namespace, name });
    this.#restarts.remove({ namespace, name });
    this.#observePhase(namespace, name, undefined);
    for (const type of [READY, PROGRESSING, DEGRADED]) this.#condition.remove({ namespace, name, type });
  }
}

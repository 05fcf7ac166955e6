/**
 * Worker failures that a restart cannot fix (docs/checkpointing.md "Errors a restart cannot
 * fix"). The runtime ends every failure with exit code 1 and writes `<Error class>: <message>` to
 * its termination message, so it shows in the pod's `containerStatuses[].state.terminated.message`
 * (docs/runtime.md "Exit codes and errors"). Every attempt of the same spec fails with the same
 * error when it is one of:
 *
 * - `JobLoadError`: `spec.job.entry` is neither a built-in job nor a loadable module;
 * - `JobConfigError`: `spec.job.config` is invalid for the job;
 * - `ConfigError`: the worker environment the operator derived from the spec is invalid;
 * - `RestoreError`: the snapshot cannot be restored by this job (another maxParallelism,
 *   operator state the job does not have, another key-group hash).
 *
 * - `KafkaSourceConfigError`, `KafkaSinkConfigError`: invalid Kafka connector options, including
 *   a transaction timeout the checkpoint interval + timeout does not fit under.
 *
 * Failures of an external system the job reads or writes (`KafkaUnavailableError`: brokers not
 * reachable, a topic missing) are {@link UNAVAILABLE}: restarted with backoff without spending the
 * restart budget (docs/connectors.md "Unreachable brokers and missing topics").
 *
 * Everything else (lost peers, storage errors, corrupted snapshots, errors of user code, kills)
 * may pass on a new attempt and goes through the restart backoff. Pure.
 */
import { MAX_ITEM_BYTES, boundText } from '../kube/bounded-text.ts';

/** An error as the runtime reported it in a termination message. */
export interface WorkerError {
  /** The error class, e.g. `JobLoadError`. */
  errorClass: string;
  /** The error's message. */
  message: string;
}

/** Condition/Event reason for each error class that a restart cannot fix. */
export const NOT_RESTARTABLE: Readonly<Record<string, { reason: string; fix: string }>> = {
  JobLoadError: { reason: 'JobLoadFailed', fix: 'fix spec.job.entry' },
  JobConfigError: { reason: 'InvalidJobConfig', fix: 'fix spec.job.config' },
  ConfigError: { reason: 'InvalidWorkerConfig', fix: 'fix the spec' },
  KafkaSourceConfigError: {
    reason: 'InvalidSourceConfig',
    fix: 'fix the Kafka source options (spec.job.config input.kafka, or the job code)',
  },
  KafkaSinkConfigError: {
    reason: 'InvalidSinkConfig',
    fix: 'fix the Kafka sink options (spec.job.config output.kafka, or the job code) or spec.checkpoint',
  },
  RestoreError: {
    reason: 'RestoreRefused',
    fix: 'restore a compatible snapshot (spec.initialSavepoint) or start a new StreamJob without state',
  },
};

/**
 * Parses a termination message `<Error class>: <message>` (the class an identifier ending in
 * `Error`). Undefined for anything else: no message, a kubelet's own text such as
 * `killed by SIGKILL`, or a log tail.
 */
export function parseTerminationMessage(text: string | undefined): WorkerError | undefined {
  const m = /^([A-Za-z_$][\w$]*Error): ([\s\S]*)$/.exec(text?.trim() ?? '');
  return m ? { errorClass: m[1]!, message: m[2]! } : undefined;
}

/** A failure that ends the job at once: phase Failed with `reason` (see the module comment). */
export interface NotRestartableFailure {
  /** CamelCase condition reason, e.g. JobLoadFailed. */
  reason: string;
  /** Names the worker, the runtime's error and message, and what the user can do. */
  message: string;
}

/**
 * The first failed worker whose error a restart cannot fix, as a failure of the job; undefined
 * when every failure might pass on a new attempt.
 * @param failed failed workers of the current attempt: pod name and terminated.message
 */
export function notRestartableFailure(
  failed: ReadonlyArray<{ name: string; terminationMessage?: string }>,
): NotRestartableFailure | undefined {
  const f = firstKnown(failed, NOT_RESTARTABLE);
  return (
    f && {
      reason: f.known.reason,
      message: `worker ${f.name} failed with ${f.err.errorClass}: ${boundText(f.err.message, MAX_ITEM_BYTES)}; every attempt of this spec would fail the same way, so the job is not restarted: ${f.known.fix} (or request a restart with sluice.dev/restart once the cause is fixed)`,
    }
  );
}

/** The first failed worker whose termination message names an error class of `table`. */
function firstKnown<K>(
  failed: ReadonlyArray<{ name: string; terminationMessage?: string }>,
  table: Readonly<Record<string, K>>,
): { name: string; err: WorkerError; known: K } | undefined {
  for (const w of failed) {
    const err = parseTerminationMessage(w.terminationMessage);
    const known = err && table[err.errorClass];
    if (err && known) return { name: w.name, err, known };
  }
  return undefined;
}

/** Condition/Event reason for each error class of an external system that is unavailable. */
export const UNAVAILABLE: Readonly<Record<string, { reason: string; system: string }>> = {
  KafkaUnavailableError: { reason: 'KafkaUnavailable', system: 'Kafka' },
};

/** A failure caused by an unavailable external system (see the module comment). */
export interface UnavailableFailure {
  /** CamelCase condition reason, e.g. KafkaUnavailable. */
  reason: string;
  /** Names the worker and the runtime's message (which names the servers or topic). */
  message: string;
}

/**
 * The first failed worker whose error says an external system is unavailable; undefined when
 * none does.
 * @param failed failed workers of the current attempt: pod name and terminated.message
 */
export function unavailableFailure(
  failed: ReadonlyArray<{ name: string; terminationMessage?: string }>,
): UnavailableFailure | undefined {
  const f = firstKnown(failed, UNAVAILABLE);
  return (
    f && {
      reason: f.known.reason,
      message: `worker ${f.name} cannot use ${f.known.system}: ${boundText(f.err.message, MAX_ITEM_BYTES)}`,
    }
  );
}

/**
 * Limits on the spec that the CRD schema cannot express (docs/api.md, docs/operator.md "Status
 * size"). `spec.job.config` is free-form JSON: the CRD bounds its top-level keys, but not its
 * depth. It is copied into every worker pod's environment (SLUICE_JOB_CONFIG) and into
 * `status.lastStableSpec`, so an oversized config would make every pod and every status write
 * of the job fail; the operator refuses it before writing anything.
 */
import type { StreamJob } from '@sluice/api/streamjob.ts';
import type { Problem } from './status.ts';

/** Largest `spec.job.config` the operator runs, as UTF-8 JSON bytes. */
export const MAX_JOB_CONFIG_BYTES = 16 * 1024;

/** A JobConfigTooLarge problem when `spec.job.config` serializes to more than {@link MAX_JOB_CONFIG_BYTES}. */
export function jobConfigProblem(job: StreamJob): Problem | undefined {
  const config = job.spec.job.config;
  if (config === undefined) return undefined;
  const bytes = Buffer.byteLength(JSON.stringify(config), 'utf8');
  if (bytes <= MAX_JOB_CONFIG_BYTES) return undefined;
  return {
    reason: 'JobConfigTooLarge',
    message: `spec.job.config is ${bytes} bytes as JSON, more than the ${MAX_JOB_CONFIG_BYTES} allowed (it is copied into every worker pod); keep large configuration in object storage and pass its location instead`,
  };
}

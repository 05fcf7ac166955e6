/**
 * Which object storage a job's workers use: `spec.storage` field by field over the operator's
 * configured defaults, and where its snapshots live (api/src/layout.ts).
 */
import { jobPrefix } from '@sluice/api/layout.ts';
import type { StreamJob } from '@sluice/api/streamjob.ts';
import { storageSecretName } from './names.ts';

/** The operator-wide default storage (from configuration; see config.ts). */
export interface StorageDefaults {
  /** S3 endpoint URL, e.g. http://sluice-minio.sluice-system:9000; undefined when not configured. */
  endpoint?: string;
  bucket?: string;
  /** Key prefix ('' for none). */
  prefix: string;
  /**
   * Secret (keys accessKey, secretKey) in `credentialsNamespace`: the operator's own keys, from
   * which it mints per-job STS credentials for jobs without their own (job-credentials.ts).
   */
  credentialsSecret?: string;
  credentialsNamespace: string;
}

/** The storage a job's workers get. */
export interface EffectiveStorage {
  endpoint: string;
  bucket: string;
  prefix: string;
  /** Key prefix of this job: `<prefix>/<namespace>/<job>/<uid>`. */
  jobPrefix: string;
  /** Secret in the job's namespace the workers read their credentials from. */
  secretName: string;
  /**
   * When the job has no Secret of its own: the operator's default credentials, with which it
   * mints the job's scoped STS credentials into `secretName` (owned by the job; docs/security.md
   * "Per-job storage credentials"). Undefined when the job names its own Secret.
   */
  mintFrom?: { namespace: string; name: string };
}

/** Result of {@link resolveStorage}: the storage, or why there is none (a user-fixable message). */
export type StorageResolution = { ok: true; storage: EffectiveStorage } | { ok: false; message: string };

/**
 * Combines `spec.storage` with the operator defaults.
 * Requires `job.metadata.{name,namespace,uid}`.
 */
export function resolveStorage(job: StreamJob, defaults: StorageDefaults): StorageResolution {
  const s = job.spec.storage ?? {};
  const name = job.metadata?.name ?? '';
  const namespace = job.metadata?.namespace ?? '';
  const uid = job.metadata?.uid ?? '';
  const endpoint = s.endpoint ?? defaults.endpoint;
  const bucket = s.bucket ?? defaults.bucket;
  const missing: string[] = [];
  if (!endpoint) missing.push('endpoint');
  if (!bucket) missing.push('bucket');
  if (!s.credentialsSecret && !defaults.credentialsSecret) missing.push('credentialsSecret');
  if (missing.length > 0) {
    return {
      ok: false,
      message:
        `no object storage ${missing.join(', ')} for StreamJob ${namespace}/${name}: set spec.storage.` +
        `${missing[0]} or configure the operator's default storage (SLUICE_STORAGE_* settings, see docs/operator.md)`,
    };
  }
  const prefix = s.prefix ?? defaults.prefix;
  const storage: EffectiveStorage = {
    endpoint: endpoint!,
    bucket: bucket!,
    prefix,
    jobPrefix: jobPrefix(prefix, namespace, name, uid),
    secretName: s.credentialsSecret?.name ?? storageSecretName(name),
  };
  if (!s.credentialsSecret) {
    storage.mintFrom = { namespace: defaults.credentialsNamespace, name: defaults.credentialsSecret! };
  }
  return { ok: true, storage };
}

/**
 * What object storage a job may reach with the per-job credentials the operator mints for it
 * (docs/security.md "Per-job storage credentials"): its own key prefix, the S3 prefixes its job
 * config declares, and `spec.initialSavepoint`. Also the rule that keeps one namespace out of
 * another's part of the bucket. Pure.
 */
import type { StreamJob } from '@sluice/api/streamjob.ts';
import { parseS3Url } from '../s3/s3-url.ts';
import type { EffectiveStorage } from './storage.ts';

/** A key prefix in a bucket; `prefix` is matched as a plain string prefix of object keys. */
export interface S3Prefix {
  bucket: string;
  prefix: string;
  /** Where it was declared, for messages, e.g. `spec.job.config.output.s3.prefix`. */
  source: string;
}

/** The prefixes a job's credentials grant. */
export interface StorageAccess {
  /** Get, put, delete and list: the job's own key prefix and its declared outputs. */
  readWrite: S3Prefix[];
  /** Get and list: declared inputs and the initial savepoint's directory. */
  readOnly: S3Prefix[];
}

type Json = unknown;

function field(o: Json, key: string): Json {
  return o !== null && typeof o === 'object' && !Array.isArray(o)
    ? (o as Record<string, Json>)[key]
    : undefined;
}

/** `section.s3.{prefix,bucket}` of a job config (the convention of runtime-image/src/jobs/io-config.ts). */
function declaredS3(
  config: Json,
  section: 'input' | 'output',
  storage: EffectiveStorage,
): S3Prefix | undefined {
  const s3 = field(field(config, section), 's3');
  const prefix = field(s3, 'prefix');
  if (typeof prefix !== 'string') return undefined;
  const bucket = field(s3, 'bucket');
  return {
    bucket: typeof bucket === 'string' && bucket !== '' ? bucket : storage.bucket,
    prefix,
    source: `spec.job.config.${section}.s3.prefix`,
  };
}

/**
 * The prefixes the job's credentials grant: read/write on `<jobPrefix>/` (checkpoints and
 * savepoints) and on `spec.job.config.output.s3.prefix`; read on `spec.job.config.input.s3.prefix`
 * and on the directory of `spec.initialSavepoint` (`s3://<bucket>/<dir>`) and of
 * `status.restoredFrom` when that is not under the job's prefix. A declared `bucket`
 * field selects another bucket; the default is the job's storage bucket. Job modules that reach
 * S3 otherwise get nothing more: they declare their prefixes in these fields or use their own
 * Secret (`spec.storage.credentialsSecret`).
 */
export function storageAccess(job: StreamJob, storage: EffectiveStorage): StorageAccess {
  const config = job.spec.job?.config as Json;
  const readWrite: S3Prefix[] = [
    { bucket: storage.bucket, prefix: `${storage.jobPrefix}/`, source: 'the job key prefix' },
  ];
  const readOnly: S3Prefix[] = [];
  const output = declaredS3(config, 'output', storage);
  if (output) readWrite.push(output);
  const input = declaredS3(config, 'input', storage);
  if (input) readOnly.push(input);
  const initial = job.spec.initialSavepoint ? parseS3Url(job.spec.initialSavepoint) : undefined;
  if (initial && initial.key !== '')
    readOnly.push({ bucket: initial.bucket, prefix: `${initial.key}/`, source: 'spec.initialSavepoint' });
  // The snapshot the current attempt restored from, when it is not the job's own (an initial
  // savepoint, also one named by spec.initialSavepointRef, which only the reconciler resolves):
  // failure recovery may restore it again, and every caller must derive the same policy.
  const restored = job.status?.restoredFrom?.path?.replace(/\/+$/, '');
  if (
    restored &&
    !restored.startsWith(`${storage.jobPrefix}/`) &&
    !readOnly.some((p) => p.bucket === storage.bucket && p.prefix === `${restored}/`)
  )
    readOnly.push({ bucket: storage.bucket, prefix: `${restored}/`, source: 'status.restoredFrom' });
  return { readWrite, readOnly };
}

/**
 * Where a prefix lies relative to the namespaces' areas of the storage bucket, `<prefix>/<namespace>/`
 * (api/src/layout.ts jobPrefix):
 * - `own`: inside the job's own namespace area;
 * - `outside`: in no namespace's area (another bucket, or keys beside `<prefix>/`, e.g. `corpus/`);
 * - `foreign`: inside, or spanning, another namespace's area — `namespace` names it, or is
 *   undefined when the prefix spans several (e.g. `<prefix>/` itself, or `<prefix>/te`);
 * - `maybeForeign`: only with an empty storage prefix, where every key's first segment could be a
 *   namespace: its first segment `namespace` is not the job's; it is foreign when that namespace
 *   exists (the caller looks it up).
 */
export type PrefixPlacement =
  | { kind: 'own' | 'outside' }
  | { kind: 'foreign'; namespace: string | undefined }
  | { kind: 'maybeForeign'; namespace: string };

/** Places `p` for a job of namespace `namespace`; see {@link PrefixPlacement}. */
export function placePrefix(p: S3Prefix, storage: EffectiveStorage, namespace: string): PrefixPlacement {
  if (p.bucket !== storage.bucket) return { kind: 'outside' };
  const root = storage.prefix.replace(/^\/+|\/+$/g, '');
  const area = root === '' ? '' : `${root}/`;
  const own = `${area}${namespace}/`;
  if (p.prefix.startsWith(own)) return { kind: 'own' };
  if (area.startsWith(p.prefix) && area !== '') return { kind: 'foreign', namespace: undefined };
  if (!p.prefix.startsWith(area)) return { kind: 'outside' };
  const rest = p.prefix.slice(area.length);
  const slash = rest.indexOf('/');
  // No complete namespace segment: `te` matches every namespace starting with `te`.
  if (slash < 0) return { kind: 'foreign', namespace: undefined };
  const other = rest.slice(0, slash);
  return root === '' ? { kind: 'maybeForeign', namespace: other } : { kind: 'foreign', namespace: other };
}

/**
 * The message of a refused prefix (reason `ForeignStoragePrefix`, docs/security.md), naming the
 * field, the prefix and the namespace it reaches into.
 */
export function foreignPrefixMessage(p: S3Prefix, namespace: string, other: string | undefined): string {
  const whose = other
    ? `namespace ${other}'s part of the bucket`
    : 'the part of the bucket of other namespaces';
  return (
    `${p.source} s3://${p.bucket}/${p.prefix} reaches into ${whose}; a job of namespace ${namespace} ` +
    `may only name keys under its own namespace's prefix or outside the jobs' area (docs/security.md)`
  );
}

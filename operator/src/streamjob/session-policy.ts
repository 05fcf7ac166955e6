/**
 * The inline session policy of a job's STS credentials (docs/security.md "Per-job storage
 * credentials"): an IAM policy document (AWS IAM JSON policy grammar, version 2012-10-17, as
 * MinIO and AWS STS AssumeRole accept it in their `Policy` parameter). The session may do what
 * both this policy and the caller's own policy allow. Pure.
 */
import { createHash } from 'node:crypto';
import type { S3Prefix, StorageAccess } from './storage-access.ts';

/** One statement of an IAM policy. */
export interface PolicyStatement {
  Effect: 'Allow';
  Action: string[];
  Resource: string[];
  Condition?: { StringLike: { 's3:prefix': string[] } };
}

/** An IAM policy document. */
export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
}

/** Object actions of a read/write prefix: what the sink, the checkpoints and retention do. */
const READ_WRITE_ACTIONS = [
  's3:GetObject',
  's3:PutObject',
  's3:DeleteObject',
  's3:AbortMultipartUpload',
  's3:ListMultipartUploadParts',
];
/** Object actions of a read-only prefix (GetObject also covers HEAD). */
const READ_ACTIONS = ['s3:GetObject'];

const objects = (p: S3Prefix) => `arn:aws:s3:::${p.bucket}/${p.prefix}*`;

/**
 * The session policy of `access`: object actions on `<bucket>/<prefix>*` of each prefix
 * (read/write or read only), `s3:ListBucket` on each bucket restricted by an `s3:prefix`
 * condition to those prefixes, and `s3:GetBucketLocation` on each bucket (the `minio` client
 * asks for it when no region is configured). Prefixes are plain key prefixes, so `out/` grants
 * `out/x` but not `out2/x`; `*` and `?` in a declared prefix would act as wildcards and are
 * refused earlier (see {@link wildcardPrefix}).
 */
export function sessionPolicy(access: StorageAccess): PolicyDocument {
  const all = [...access.readWrite, ...access.readOnly];
  const buckets = [...new Set(all.map((p) => p.bucket))].sort();
  const statements: PolicyStatement[] = [
    { Effect: 'Allow', Action: READ_WRITE_ACTIONS, Resource: access.readWrite.map(objects) },
  ];
  if (access.readOnly.length > 0)
    statements.push({ Effect: 'Allow', Action: READ_ACTIONS, Resource: access.readOnly.map(objects) });
  for (const bucket of buckets) {
    const prefixes = all.filter((p) => p.bucket === bucket).map((p) => `${p.prefix}*`);
    statements.push({
      Effect: 'Allow',
      Action: ['s3:ListBucket'],
      Resource: [`arn:aws:s3:::${bucket}`],
      Condition: { StringLike: { 's3:prefix': [...new Set(prefixes)] } },
    });
  }
  statements.push({
    Effect: 'Allow',
    Action: ['s3:GetBucketLocation'],
    Resource: buckets.map((b) => `arn:aws:s3:::${b}`),
  });
  return { Version: '2012-10-17', Statement: statements };
}

/** The first prefix of `access` containing an IAM wildcard character (`*`, `?`) or `$`, if any. */
export function wildcardPrefix(access: StorageAccess): S3Prefix | undefined {
  return [...access.readWrite, ...access.readOnly].find((p) => /[*?$]/.test(p.prefix));
}

/** SHA-256 (hex) of the policy's JSON: stored with the credentials to notice a changed policy. */
export function policyDigest(policy: PolicyDocument): string {
  return createHash('sha256').update(JSON.stringify(policy)).digest('hex');
}

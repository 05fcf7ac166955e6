/**
 * Mints scoped S3 credentials with STS AssumeRole (AWS STS API, Version 2011-06-15, as MinIO
 * serves it on its S3 endpoint): the caller's keys plus an inline session policy give a
 * temporary access key, secret key and session token allowed only what both the caller's policy
 * and the session policy allow (docs/security.md "Per-job storage credentials"). The request is
 * signed (SigV4, service `sts`) and sent by the `minio` client's AssumeRoleProvider.
 */
import { abortable } from '../s3/storage-client.ts';

/** Temporary S3 credentials of one STS session. Values are secrets: never log them. */
export interface SessionCredentials {
  accessKey: string;
  secretKey: string;
  sessionToken: string;
  /** When the credentials stop working (the STS answer's Expiration). */
  expiration: Date;
}

/** Options of {@link assumeRole}. */
export interface AssumeRoleOptions {
  /** STS endpoint, the S3 endpoint for MinIO: http(s)://host[:port]. */
  endpoint: string;
  /** The caller's long-lived keys (the operator's default storage credentials). */
  credentials: { accessKey: string; secretKey: string };
  /** The inline session policy, JSON (session-policy.ts). */
  policy: string;
  /** Session lifetime, s; STS accepts 900 and up. */
  durationSeconds: number;
  /** Abandon the call after this many ms. */
  timeoutMs: number;
  /** Abandon the call when this aborts (the reconcile's deadline or shutdown). */
  signal: AbortSignal;
}

/** STS refused or failed to answer; `code` is the STS error code when it sent one. */
export class StsError extends Error {
  readonly code: string | undefined;
  constructor(message: string, code?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StsError';
    this.code = code;
  }
}

interface AssumeRoleAnswer {
  ErrorResponse?: { Error?: { Code?: string; Message?: string } };
  AssumeRoleResponse?: {
    AssumeRoleResult?: {
      Credentials?: {
        AccessKeyId?: string;
        SecretAccessKey?: string;
        SessionToken?: string;
        Expiration?: string;
      };
    };
  };
}

/**
 * Calls STS AssumeRole with `policy` for `durationSeconds`.
 * @throws StsError on an STS error answer (its code and message), an answer without credentials,
 *   a transport failure, or no answer within `timeoutMs`
 */
export async function assumeRole(o: AssumeRoleOptions): Promise<SessionCredentials> {
  // Imported on first use, not at start-up (docs/operator.md "Memory at idle").
  const { AssumeRoleProvider } = await import('minio/dist/esm/AssumeRoleProvider.mjs');
  const provider = new AssumeRoleProvider({
    stsEndpoint: o.endpoint,
    accessKey: o.credentials.accessKey,
    secretKey: o.credentials.secretKey,
    durationSeconds: o.durationSeconds,
    policy: o.policy,
    region: 'us-east-1',
  });
  const deadline = AbortSignal.any([o.signal, AbortSignal.timeout(o.timeoutMs)]);
  let answer: AssumeRoleAnswer;
  try {
    answer = (await abortable(
      provider.performRequest(),
      deadline,
      `STS AssumeRole on ${o.endpoint}`,
    )) as AssumeRoleAnswer;
  } catch (err) {
    throw new StsError(`STS AssumeRole on ${o.endpoint} failed: ${(err as Error).message}`, undefined, {
      cause: err,
    });
  }
  const error = answer.ErrorResponse?.Error;
  if (answer.ErrorResponse) {
    throw new StsError(
      `STS AssumeRole on ${o.endpoint} was refused: ${error?.Code ?? 'unknown error'}: ${error?.Message ?? ''}`,
      error?.Code,
    );
  }
  const c = answer.AssumeRoleResponse?.AssumeRoleResult?.Credentials;
  const expiration = c?.Expiration ? new Date(c.Expiration) : undefined;
  if (
    !c?.AccessKeyId ||
    !c.SecretAccessKey ||
    !c.SessionToken ||
    !expiration ||
    Number.isNaN(expiration.getTime())
  )
    throw new StsError(`STS AssumeRole on ${o.endpoint} answered without complete credentials`);
  return {
    accessKey: c.AccessKeyId,
    secretKey: c.SecretAccessKey,
    sessionToken: c.SessionToken,
    expiration,
  };
}

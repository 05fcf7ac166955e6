/**
 * The operator's S3 client for a job's storage (the `minio` package), built from the effective
 * storage endpoint and the credentials the job's workers use (docs/operator.md "Storage
 * credentials").
 */
import { Client as MinioClient } from 'minio';

/** S3 access keys for a job's storage. */
export interface StorageCredentials {
  accessKey: string;
  secretKey: string;
}

/** A `minio` client for `endpoint` (http(s)://host:port). */
export function s3Client(endpoint: string, creds: StorageCredentials): MinioClient {
  const url = new URL(endpoint);
  const useSSL = url.protocol === 'https:';
  return new MinioClient({
    endPoint: url.hostname,
    port: url.port ? Number(url.port) : useSSL ? 443 : 80,
    useSSL,
    accessKey: creds.accessKey,
    secretKey: creds.secretKey,
  });
}

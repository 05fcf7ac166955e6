/**
 * Writing and reading `_metadata`, shared by the operator (the checkpoint coordinator) and the
 * workers (restore) and the test-side local coordinator.
 *
 * `_metadata` is written last, as one small PUT with `If-None-Match: *`: S3 and MinIO then
 * create it only if absent, so two coordinators (e.g. an old and a new operator leader) can never
 * both complete the same checkpoint with different contents. The `minio` client sends the header
 * as is on single-part uploads (from 8.0.3), not on multipart completion — hence the size guard.
 */
import { METADATA_FORMAT_VERSION, parseMetadata, type SnapshotMetadata } from './metadata.ts';
import { metadataKey } from './layout.ts';

/**
 * The two `minio` Client methods used here (structural, so api/ does not depend on the client;
 * a `minio` Client instance satisfies it).
 */
export interface MetadataObjectClient {
  putObject(
    bucket: string,
    name: string,
    data: Buffer,
    size: number,
    metaData: Record<string, string>,
  ): Promise<unknown>;
  getObject(bucket: string, name: string): Promise<AsyncIterable<unknown>>;
}

/** Largest `_metadata` written (bytes); far below any client's multipart threshold (≥ 5 MiB). */
export const MAX_METADATA_BYTES = 1024 * 1024;

/** `_metadata` already exists: another coordinator completed this snapshot first. */
export class MetadataExistsError extends Error {
  readonly key: string;
  constructor(bucket: string, key: string) {
    super(`s3://${bucket}/${key} already exists; checkpoint was completed by another coordinator`);
    this.name = 'MetadataExistsError';
    this.key = key;
  }
}

/**
 * Writes `<snapshotDir>/_metadata` once (PUT with `If-None-Match: *`).
 * @returns the number of bytes written
 * @throws MetadataExistsError when the object already exists (HTTP 412 PreconditionFailed);
 *   RangeError when the document exceeds MAX_METADATA_BYTES; the client's error otherwise
 */
export async function writeMetadataOnce(
  client: MetadataObjectClient,
  bucket: string,
  snapshotDir: string,
  metadata: SnapshotMetadata,
): Promise<number> {
  if (metadata.formatVersion !== METADATA_FORMAT_VERSION) {
    throw new RangeError(
      `metadata format version ${metadata.formatVersion}, expected ${METADATA_FORMAT_VERSION}`,
    );
  }
  const key = metadataKey(snapshotDir);
  const body = Buffer.from(JSON.stringify(metadata), 'utf8');
  if (body.length > MAX_METADATA_BYTES) {
    throw new RangeError(`metadata for ${key} is ${body.length} bytes, more than ${MAX_METADATA_BYTES}`);
  }
  try {
    await client.putObject(bucket, key, body, body.length, {
      'Content-Type': 'application/json',
      'If-None-Match': '*',
    });
  } catch (err) {
    const e = err as { code?: string; statusCode?: number };
    if (e.code === 'PreconditionFailed' || e.statusCode === 412) throw new MetadataExistsError(bucket, key);
    throw err;
  }
  return body.length;
}

/**
 * Reads and validates `<snapshotDir>/_metadata`.
 * @throws Error naming the object when it is missing (the snapshot is incomplete) or invalid
 */
export async function readMetadata(
  client: MetadataObjectClient,
  bucket: string,
  snapshotDir: string,
): Promise<SnapshotMetadata> {
  const key = metadataKey(snapshotDir);
  const source = `s3://${bucket}/${key}`;
  const chunks: Buffer[] = [];
  try {
    for await (const c of await client.getObject(bucket, key)) {
      chunks.push(typeof c === 'string' ? Buffer.from(c) : Buffer.from(c as Uint8Array));
    }
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'NoSuchKey' || code === 'NotFound') {
      throw new Error(`${source} does not exist: ${snapshotDir} is not a completed checkpoint or savepoint`, {
        cause: err,
      });
    }
    throw new Error(`cannot read ${source}: ${(err as Error).message}`, { cause: err });
  }
  return parseMetadata(Buffer.concat(chunks).toString('utf8'), source);
}

/**
 * Protocol step "complete" on storage: write a snapshot's signed `_metadata` once, or adopt the
 * one a previous operator wrote before it crashed — only when it carries the job's MAC
 * (docs/checkpointing.md "Protocol (operator ↔ workers)" step 3, docs/security.md "Snapshot
 * integrity").
 */
import { metadataKey } from '@sluice/api/layout.ts';
import type { SnapshotMetadata } from '@sluice/api/metadata.ts';
import { MetadataExistsError, readMetadata, writeMetadataOnce } from '@sluice/api/metadata-store.ts';
import { metadataMacProblem } from '@sluice/api/snapshot-mac.ts';
import type { StorageClient } from '../s3/storage-client.ts';

/**
 * Writes `metadata` (already signed) as `<dir>/_metadata` with `If-None-Match: *`; when it exists,
 * reads it back and adopts it if its MAC verifies under `key`.
 * @param what names the snapshot in errors, e.g. `checkpoint 7 of StreamJob ns/wc`
 * @returns the bytes of the snapshot as recorded in the `_metadata` that stands
 * @throws Error when storage fails (the controller retries until the snapshot's timeout aborts it)
 *   or when the existing `_metadata` is not the job's own
 */
export async function writeOrAdoptMetadata(
  s3: StorageClient,
  bucket: string,
  dir: string,
  metadata: SnapshotMetadata,
  key: Buffer,
  what: string,
): Promise<{ bytes: number; adopted: boolean }> {
  try {
    await writeMetadataOnce(s3, bucket, dir, metadata);
    return { bytes: metadata.bytes, adopted: false };
  } catch (err) {
    if (!(err instanceof MetadataExistsError)) {
      throw new Error(
        `writing s3://${bucket}/${dir}/_metadata for ${what} failed: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    const existing = await readMetadata(s3, bucket, dir);
    const forged = metadataMacProblem(existing, key, `s3://${bucket}/${metadataKey(dir)}`);
    if (forged) throw new Error(`not adopting the existing _metadata of ${what}: ${forged}`, { cause: err });
    return { bytes: existing.bytes, adopted: true };
  }
}

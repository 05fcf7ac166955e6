/**
 * When the operator counts a `_metadata` as restorable (docs/checkpointing.md "The `_metadata`
 * document"): it carries the job's MAC when it lies under the job's prefix (the job's own
 * snapshots; others, e.g. spec.initialSavepoint of another job, are signed with a key this job
 * does not have), and it covers every key group with subtasks that list their files. Used by
 * failure recovery to choose a restore source and by retention to count restorable checkpoints,
 * so that neither takes a forged or incomplete document for a checkpoint. Pure.
 */
import { isUnderJobPrefix, metadataKey } from '@sluice/api/layout.ts';
import { metadataCoverageProblem } from '@sluice/api/metadata-coverage.ts';
import type { SnapshotMetadata } from '@sluice/api/metadata.ts';
import { metadataMacProblem } from '@sluice/api/snapshot-mac.ts';

/**
 * Why the parsed `_metadata` of snapshot directory `dir` (in `bucket`) must not be restored by
 * the job with prefix `jobPrefix`, or undefined when it may.
 * @param key the job's snapshot key; called only for a snapshot under the job's prefix
 */
export async function unrestorableReason(
  metadata: SnapshotMetadata,
  where: { bucket: string; dir: string; jobPrefix: string },
  key: () => Promise<Buffer>,
): Promise<string | undefined> {
  const source = `s3://${where.bucket}/${metadataKey(where.dir)}`;
  if (isUnderJobPrefix(where.jobPrefix, where.dir)) {
    const forged = metadataMacProblem(metadata, await key(), source);
    if (forged) return forged;
  }
  return metadataCoverageProblem(metadata, source);
}

/**
 * Which checkpoint directories to delete from storage. Pure: the caller lists
 * `<job>/checkpoints/chk-N/` and says which of them hold `_metadata` (completed).
 * Savepoints are never considered here: they are kept until the user deletes them.
 */

/** A checkpoint directory found in storage. */
export interface StoredCheckpoint {
  id: number;
  /** `_metadata` is present: the checkpoint completed. */
  complete: boolean;
}

/** What must survive retention. */
export interface RetentionPolicy {
  /** spec.checkpoint.retained: completed checkpoints to keep (≥ 1). */
  retained: number;
  /** status.checkpoints.lastCompleted.id: never deleted, whatever else holds. */
  lastCompletedId: number | undefined;
  /** status.checkpoints.inProgress.id: being written, never deleted. */
  inProgressId: number | undefined;
}

/**
 * Ids of the checkpoint directories to delete, ascending:
 * - completed ones beyond the newest `retained` (the one in status is always kept);
 * - incomplete ones (no `_metadata`) other than the one in progress: left behind by an aborted
 *   or timed-out checkpoint, or by an attempt that failed mid-snapshot.
 */
export function checkpointsToDelete(stored: StoredCheckpoint[], policy: RetentionPolicy): number[] {
  const keep = new Set<number>();
  if (policy.lastCompletedId !== undefined) keep.add(policy.lastCompletedId);
  if (policy.inProgressId !== undefined) keep.add(policy.inProgressId);
  const completed = stored
    .filter((c) => c.complete)
    .map((c) => c.id)
    .sort((a, b) => b - a);
  for (const id of completed.slice(0, Math.max(1, policy.retained))) keep.add(id);
  return stored
    .map((c) => c.id)
    .filter((id) => !keep.has(id))
    .sort((a, b) => a - b);
}

/**
 * Which checkpoint directories to delete from storage (docs/checkpointing.md "Retention"). Pure:
 * the caller lists `<job>/checkpoints/chk-N/`, says which of them hold `_metadata` (completed)
 * and which `_metadata` it found unreadable. Savepoints are not considered here (their retention
 * is spec.savepoint.retention, savepoint-policy.ts).
 */

/** A checkpoint directory found in storage. */
export interface StoredCheckpoint {
  id: number;
  /** `_metadata` is present: the checkpoint completed. */
  complete: boolean;
  /**
   * `_metadata` was read and is not valid: the checkpoint cannot be restored, so it does not
   * count as a retained one. Undefined when not read (counted as readable).
   */
  unreadable?: boolean;
}

/** What must survive retention. */
export interface RetentionPolicy {
  /** spec.checkpoint.retained: completed, readable checkpoints to keep (≥ 1). */
  retained: number;
  /** status.checkpoints.lastCompleted.id: never deleted, whatever else holds. */
  lastCompletedId: number | undefined;
  /** status.checkpoints.inProgress.id: being written, never deleted. */
  inProgressId: number | undefined;
  /**
   * Checkpoints a restore may still need, never deleted: the one the current attempt restored
   * (status.restoredFrom) and an upgrade's rollback source (status.upgrade.rollbackFrom,
   * status.rollback.restoredFrom). See {@link checkpointIdOf}.
   */
  pinnedIds?: readonly number[];
}

/**
 * The id of checkpoint directory `path` of the job whose key prefix is `jobPrefix`
 * (`<jobPrefix>/checkpoints/chk-<id>`, api/src/layout.ts); undefined for anything else
 * (savepoints, another job's checkpoints, an initial savepoint).
 */
export function checkpointIdOf(path: string | undefined, jobPrefix: string): number | undefined {
  if (path === undefined) return undefined;
  const dir = `${jobPrefix}/checkpoints/chk-`;
  const rest = path.replace(/\/+$/, '');
  if (!rest.startsWith(dir) || !/^\d+$/.test(rest.slice(dir.length))) return undefined;
  return Number(rest.slice(dir.length));
}

/**
 * Ids of the checkpoint directories to delete, ascending:
 * - completed ones beyond the newest `retained` readable ones (unreadable ones do not count);
 * - incomplete ones (no `_metadata`) other than the one in progress: left behind by an aborted
 *   or timed-out checkpoint, or by an attempt that failed mid-snapshot;
 * never the checkpoint in status (lastCompleted), the one in progress, nor a pinned one.
 */
export function checkpointsToDelete(stored: StoredCheckpoint[], policy: RetentionPolicy): number[] {
  const keep = new Set<number>(policy.pinnedIds ?? []);
  if (policy.lastCompletedId !== undefined) keep.add(policy.lastCompletedId);
  if (policy.inProgressId !== undefined) keep.add(policy.inProgressId);
  const restorable = stored
    .filter((c) => c.complete && !c.unreadable)
    .map((c) => c.id)
    .sort((a, b) => b - a);
  for (const id of restorable.slice(0, Math.max(1, policy.retained))) keep.add(id);
  return stored
    .map((c) => c.id)
    .filter((id) => !keep.has(id))
    .sort((a, b) => a - b);
}

/**
 * Whether failure recovery may restore an older snapshot when the newer ones cannot be read
 * (docs/checkpointing.md "Failure recovery"). Pure.
 *
 * Sinks commit a snapshot's transactions once it completed (the commit notice: status, docs/checkpointing.md,
 * or the re-commit of pending transactions on restore), so the output of every completed
 * snapshot up to `committedSnapshotId(status)` is published or about to be. Restoring a snapshot older
 * than that one processes the records after it again, and their output is published a second
 * time. This is refused unless the job opted in with `spec.recovery.allowReplayedOutput` — the
 * same rule the upgrade rollback follows (rollback.ts: no rollback past a completed snapshot).
 */
import type { RestoredFrom, StreamJobStatus } from '@sluice/api/streamjob.ts';
import { MAX_ITEM_BYTES, boundText, countedSummary } from '../kube/bounded-text.ts';
import { committedSnapshotId } from '@sluice/api/protocol.ts';

/** Degraded reason (and Warning Event reason) of a refused fallback. */
export const RESTORE_FALLBACK_REFUSED = 'RestoreFallbackRefused';

/** A restore candidate that was passed over, and why (the `_metadata` read error). */
export interface SkippedSource {
  source: RestoredFrom;
  problem: string;
}

/** The verdict on restoring `chosen` after the newer candidates in `skipped` failed. */
export type FallbackVerdict =
  /** Restore it; `replaysOutput` says whether committed output will be published again. */
  | { action: 'restore'; replaysOutput: boolean }
  /** Do not restore it; `message` names the unreadable and the readable snapshot, and the opt-in. */
  | { action: 'refuse'; message: string };

/**
 * Whether restoring `source` would process again records whose output the sinks already
 * committed: a snapshot is committed (`committedSnapshotId(status)` is set) and `source` is older than it.
 * A source without an id (a `spec.initialSavepoint` of another job) counts as older.
 */
export function replaysCommittedOutput(status: StreamJobStatus | undefined, source: RestoredFrom): boolean {
  const committed = committedSnapshotId(status);
  return committed !== undefined && (source.id === undefined || source.id < committed);
}

/**
 * Judges the first readable restore candidate `chosen` (failure-recovery.ts restoreCandidates
 * order) after the candidates in `skipped` could not be read.
 * @param o.allowReplayedOutput spec.recovery.allowReplayedOutput
 * @returns restore (with `replaysOutput` for the RestoreFallback Event) or refuse with a bounded
 *   message for the Degraded condition and its Warning Event
 */
export function judgeRestoreFallback(o: {
  status: StreamJobStatus | undefined;
  chosen: RestoredFrom;
  skipped: readonly SkippedSource[];
  allowReplayedOutput: boolean;
}): FallbackVerdict {
  const replaysOutput = replaysCommittedOutput(o.status, o.chosen);
  if (!replaysOutput || o.allowReplayedOutput) return { action: 'restore', replaysOutput };
  const committed = committedSnapshotId(o.status)!;
  const unreadable =
    o.skipped.length === 1
      ? `${describeSnapshot(o.skipped[0]!.source)} cannot be restored: ${boundText(o.skipped[0]!.problem, MAX_ITEM_BYTES)}`
      : countedSummary(
          o.skipped.map((s) => `${describeSnapshot(s.source)} (${s.problem})`),
          'snapshot',
          'cannot be restored',
        );
  return {
    action: 'refuse',
    message:
      `${unreadable}. The older ${describeSnapshot(o.chosen)} is readable, but the sinks already committed the output ` +
      `of every snapshot up to id ${committed}: restoring it would process the records after it again and ` +
      `publish their output twice, so the job is not restarted. Make the newer snapshot readable again and ` +
      `request a restart (annotation sluice.dev/restart), or set spec.recovery.allowReplayedOutput: true to ` +
      `restore ${describeSnapshot(o.chosen)} and accept the duplicated output`,
  };
}

/** "checkpoint 7 (prefix/checkpoints/chk-7)" */
export function describeSnapshot(s: RestoredFrom): string {
  return `${s.kind ?? 'snapshot'}${s.id !== undefined ? ` ${s.id}` : ''} (${s.path})`;
}

/**
 * Whether a `readMetadata` error (api/src/metadata-store.ts) means the storage did not answer —
 * a timeout, a refused connection, an S3 error other than a missing object — rather than that the
 * `_metadata` is missing or invalid. Such a snapshot may be readable a moment later, so a refused
 * fallback past it is retried (reconciler backoff) instead of failing the job. Missing objects
 * carry the S3 code NoSuchKey/NotFound in `cause`; malformed JSON a SyntaxError; validation
 * errors no cause.
 */
export function storageDidNotAnswer(err: unknown): boolean {
  const cause = (err as { cause?: unknown } | undefined)?.cause;
  if (cause === undefined || (cause as { name?: unknown }).name === 'SyntaxError') return false;
  const code = (cause as { code?: unknown }).code;
  return code !== 'NoSuchKey' && code !== 'NotFound';
}

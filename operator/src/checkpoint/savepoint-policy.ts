/**
 * Periodic savepoints and savepoint retention (docs/snapshots.md). Pure: the coordinator passes
 * the due time of the next periodic savepoint to trigger-policy.ts `decide`, and disposes of the
 * savepoints {@link savepointsToDispose} names — their objects first, then their history entries.
 */
import type { StreamJob } from '@sluice/api/streamjob.ts';

/**
 * The nonce of periodic savepoints (directory `sp-<id>-_periodic`, history entries). It cannot
 * be a user request's nonce (those start with a letter or digit), so no request is recorded for it.
 */
export const PERIODIC_SAVEPOINT_NONCE = '_periodic';

/** Whether `nonce` is a user request's (not undefined, not an operator-reserved `_…` one). */
export function isRequestNonce(nonce: string | undefined): nonce is string {
  return nonce !== undefined && !nonce.startsWith('_');
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Milliseconds of a duration `<n>s|m|h|d` (spec.savepoint.retention.maxAge; the CRD's pattern).
 * @throws RangeError on anything else
 */
export function durationMs(text: string): number {
  const m = /^([1-9][0-9]*)(s|m|h|d)$/.exec(text);
  if (!m) throw new RangeError(`${JSON.stringify(text)} is not a duration like 90s, 30m, 12h or 7d`);
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}

/**
 * When the next periodic savepoint is due (ms), or undefined without spec.savepoint.periodicSeconds:
 * `periodicSeconds` after the latest of the last periodic trigger, the last completed savepoint
 * (any savepoint restarts the period) and the job's creation.
 */
export function periodicSavepointDue(job: StreamJob): number | undefined {
  const period = job.spec.savepoint.periodicSeconds;
  if (period === undefined) return undefined;
  const sp = job.status?.savepoints;
  const times = [sp?.lastPeriodicTriggeredAt, sp?.last?.completedAt, job.metadata?.creationTimestamp]
    .filter((t) => t !== undefined)
    .map((t) => Date.parse(String(t)))
    .filter((t) => Number.isFinite(t));
  return Math.max(0, ...times) + period * 1000;
}

/** A savepoint of status.savepoints.history to dispose of, with why. */
export interface Disposal {
  id: number;
  path: string;
  why: string;
}

/**
 * The history entries to dispose of at `now` (ms), oldest first. With spec.savepoint.retention
 * set: entries beyond the newest `maxCount` — and always beyond `historyLimit` - 1, so that the
 * next completion never drops an entry whose objects were not deleted — and entries completed
 * more than `maxAge` ago. Never: the last completed savepoint (status.savepoints.last), one in
 * progress, one a restore or rollback may need (status.restoredFrom, status.upgrade.rollbackFrom,
 * status.rollback.restoredFrom), nor anything outside the job's `<jobPrefix>/savepoints/`.
 */
export function savepointsToDispose(job: StreamJob, jobPrefix: string, now: number): Disposal[] {
  const retention = job.spec.savepoint.retention;
  const st = job.status ?? {};
  const history = st.savepoints?.history ?? [];
  if (!retention || history.length === 0) return [];
  const keep = new Set(
    [
      st.savepoints?.last?.path,
      st.checkpoints?.inProgress?.path,
      st.restoredFrom?.path,
      st.upgrade?.rollbackFrom?.path,
      st.rollback?.restoredFrom?.path,
    ].filter((p): p is string => p !== undefined),
  );
  const count = Math.min(retention.maxCount ?? Infinity, job.spec.savepoint.historyLimit - 1);
  const maxAge = retention.maxAge !== undefined ? durationMs(retention.maxAge) : undefined;
  const out: Disposal[] = [];
  [...history]
    .sort((a, b) => b.id - a.id)
    .forEach((h, i) => {
      if (keep.has(h.path) || !h.path.startsWith(`${jobPrefix}/savepoints/`)) return;
      const age = h.completedAt ? now - Date.parse(h.completedAt) : undefined;
      if (i >= count) out.push({ id: h.id, path: h.path, why: `beyond the newest ${count}` });
      else if (maxAge !== undefined && age !== undefined && age > maxAge)
        out.push({ id: h.id, path: h.path, why: `older than ${retention.maxAge}` });
    });
  return out.sort((a, b) => a.id - b.id);
}

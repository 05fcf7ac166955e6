/**
 * Which restarts the restart policy still allows (docs/checkpointing.md "Restart budget and
 * rate"): the lifetime budget `spec.restartPolicy.maxRestarts` and the optional failure rate
 * limit `spec.restartPolicy.restartRateLimit` — at most `maxRestarts` restarts within any
 * `windowSeconds`, Flink's failure-rate restart strategy. The times of the recent restarts are
 * kept in `status.recentRestarts` (RFC 3339, oldest first). Pure.
 *
 * The window is measured back from the failure, not from now: the verdict about one failure
 * never changes while time passes, so a job marked Failed for its rate stays Failed until its
 * spec changes or a restart is requested.
 */
import type { RestartPolicySpec } from '@sluice/api/streamjob.ts';
import { rfc3339 } from '../streamjob/conditions.ts';
import { restartBudgetExhausted } from './restart-backoff.ts';

/** Entries kept in status.recentRestarts without a rate limit (for people reading status). */
const DEFAULT_KEPT = 10;
/** The CRD's maxItems of status.recentRestarts. */
const MAX_KEPT = 100;

/** Why another restart is not allowed: a condition reason and a message saying what to do. */
export interface RestartRefusal {
  reason: 'RestartBudgetExhausted' | 'RestartRateExceeded';
  message: string;
}

/**
 * Whether the policy allows the restart after a failure at `failedAt` (ms).
 * @param what the failure, for the message, e.g. `worker(s) wc-1-0 (exit code 137) failed`
 * @param restarts status.restarts
 * @param recent status.recentRestarts
 * @returns undefined when allowed, else the refusal
 */
export function restartRefusal(
  policy: RestartPolicySpec,
  restarts: number,
  recent: readonly string[] | undefined,
  failedAt: number,
  what: string,
): RestartRefusal | undefined {
  if (restartBudgetExhausted(policy, restarts)) {
    return {
      reason: 'RestartBudgetExhausted',
      message: `${what} and the restart budget of ${policy.maxRestarts} is spent; fix the cause and request a restart (sluice.dev/restart) or raise spec.restartPolicy.maxRestarts`,
    };
  }
  const limit = policy.restartRateLimit;
  if (!limit) return undefined;
  const from = failedAt - limit.windowSeconds * 1000;
  const inWindow = (recent ?? []).map(Date.parse).filter((t) => t > from && t <= failedAt).length;
  if (inWindow < limit.maxRestarts) return undefined;
  return {
    reason: 'RestartRateExceeded',
    message: `${what} after ${inWindow} restarts within ${limit.windowSeconds}s (spec.restartPolicy.restartRateLimit allows ${limit.maxRestarts}); fix the cause and request a restart (sluice.dev/restart) or relax spec.restartPolicy.restartRateLimit`,
  };
}

/** status.recentRestarts after a restart at `now` (ms): appended, the oldest dropped beyond what the limit needs. */
export function recordRestart(
  policy: RestartPolicySpec,
  recent: readonly string[] | undefined,
  now: number,
): string[] {
  const keep = Math.min(MAX_KEPT, Math.max(DEFAULT_KEPT, policy.restartRateLimit?.maxRestarts ?? 0));
  return [...(recent ?? []), rfc3339(now)].slice(-keep);
}

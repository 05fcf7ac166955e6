/**
 * metav1.Condition bookkeeping (KEP-1623 "standardize conditions"): one entry per type;
 * `lastTransitionTime` changes only when `status` flips, not when only reason, message or
 * observedGeneration change — the semantics of apimachinery's `meta.SetStatusCondition`.
 * Functions return new arrays and never mutate their input.
 */
import type { Condition, ConditionStatus } from '@sluice/api/streamjob.ts';
import { boundText } from '../kube/bounded-text.ts';

/** Condition types this operator maintains. */
export const READY = 'Ready';
export const PROGRESSING = 'Progressing';
export const DEGRADED = 'Degraded';
/** Maintained by the checkpoint coordinator; preserved untouched by the reconciler (status.ts). */
export const CHECKPOINTS_HEALTHY = 'CheckpointsHealthy';

/** A condition without its transition time (the time comes from {@link setCondition}). */
export interface ConditionUpdate {
  type: string;
  status: ConditionStatus;
  /** CamelCase: letters, digits, `_`, `,` and `:` (the metav1 pattern). */
  reason: string;
  message: string;
  observedGeneration?: number;
}

/** RFC 3339 with second precision (metav1.Time's wire format) of `ms` since the epoch. */
export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** The condition of `type`, if present. */
export function findCondition(
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/** Whether the condition of `type` is present with status True. */
export function isConditionTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return findCondition(conditions, type)?.status === 'True';
}

/**
 * `conditions` with `update` applied: appended if its type is new; otherwise replaced in place,
 * keeping `lastTransitionTime` unless the status changed (then it becomes `nowMs`).
 */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  update: ConditionUpdate,
  nowMs: number,
): Condition[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((c) => c.type === update.type);
  const prior = i >= 0 ? list[i] : undefined;
  const next: Condition = {
    type: update.type,
    status: update.status,
    reason: update.reason,
    // Bounded (docs/operator.md "Status size"): an oversized message would make the API server
    // reject every status write of the job.
    message: boundText(update.message),
    lastTransitionTime: prior && prior.status === update.status ? prior.lastTransitionTime : rfc3339(nowMs),
    ...(update.observedGeneration !== undefined ? { observedGeneration: update.observedGeneration } : {}),
  };
  if (i >= 0) list[i] = next;
  else list.push(next);
  return list;
}

/** `conditions` with every update applied in order (see {@link setCondition}). */
export function setConditions(
  conditions: readonly Condition[] | undefined,
  updates: readonly ConditionUpdate[],
  nowMs: number,
): Condition[] {
  return updates.reduce<Condition[]>((acc, u) => setCondition(acc, u, nowMs), [...(conditions ?? [])]);
}

/**
 * The conditions written with a new attempt's intent (docs/operator.md "Reconcile", step 4):
 * Progressing=True `AttemptStarted` with `message`, and Ready=False `WorkersNotReady` — none of
 * the new attempt's workers exists yet, so the previous attempt's Ready=True must not survive
 * into a status that already names the new attempt.
 */
export function attemptStartedConditions(
  conditions: readonly Condition[] | undefined,
  attempt: number,
  message: string,
  nowMs: number,
  observedGeneration?: number,
): Condition[] {
  const g = observedGeneration !== undefined ? { observedGeneration } : {};
  return setConditions(
    conditions,
    [
      { type: PROGRESSING, status: 'True', reason: 'AttemptStarted', message, ...g },
      {
        type: READY,
        status: 'False',
        reason: 'WorkersNotReady',
        message: `attempt ${attempt} is starting`,
        ...g,
      },
    ],
    nowMs,
  );
}

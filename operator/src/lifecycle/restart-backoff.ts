/**
 * Restart budget and exponential backoff of failure restarts (spec.restartPolicy).
 * Delay before restart n (n = restarts so far + 1): backoffSeconds · 2^(n−1), capped at
 * maxBackoffSeconds — the shape of Flink's exponential-delay restart strategy and of the
 * kubelet's CrashLoopBackOff.
 */
import type { RestartPolicySpec } from '@sluice/api/streamjob.ts';
import { exponentialBackoff } from '../kube/backoff.ts';

/** Milliseconds to wait before the next restart, given the restarts already made. */
export function restartDelayMs(policy: RestartPolicySpec, restartsSoFar: number): number {
  return exponentialBackoff(policy.backoffSeconds * 1000, policy.maxBackoffSeconds * 1000, restartsSoFar);
}

/** True when another failure restart would exceed spec.restartPolicy.maxRestarts. */
export function restartBudgetExhausted(policy: RestartPolicySpec, restartsSoFar: number): boolean {
  return restartsSoFar >= policy.maxRestarts;
}

/**
 * Retrying a checkpoint ack until the checkpoint's timeout (docs/runtime.md "Control modes").
 * An ack is a patch of the worker's own Pod; while the API server is restarting or unreachable
 * the patch fails. The checkpoint is not lost until its timeout (`timeoutSeconds` of the
 * request, spec.checkpoint/savepoint.timeoutSeconds), so the worker keeps trying until then —
 * backing off 0.2 s doubling to 5 s — and then gives up on the ack only: the coordinator aborts
 * that checkpoint and the worker keeps running.
 */

/** First retry delay, ms. */
export const ACK_RETRY_BASE_MS = 200;
/** Largest retry delay, ms. */
export const ACK_RETRY_MAX_MS = 5000;
/** How long an ack is retried when the request names no timeout (the CRD's default, 600 s), ms. */
export const DEFAULT_ACK_TIMEOUT_MS = 600_000;

/** Delay before retry `n` (0-based), ms: 200 · 2^n, at most 5000. */
export function ackRetryDelayMs(n: number): number {
  return Math.min(ACK_RETRY_BASE_MS * 2 ** n, ACK_RETRY_MAX_MS);
}

/** Clock and timer of {@link retryUntil} (injected by unit tests). */
export interface RetryTiming {
  /** Epoch ms. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realTiming: RetryTiming = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

/** What {@link retryUntil} ended with. */
export type RetryOutcome = 'done' | 'superseded';

/**
 * Calls `attempt` until it resolves, waiting {@link ackRetryDelayMs} between failures, or until
 * `superseded()` says a newer ack made this one moot.
 * @param deadlineMs epoch ms after which no new attempt starts (a delay never runs past it)
 * @param onRetry called with each failure and the delay before the next attempt
 * @throws the last failure once the deadline has passed
 */
export async function retryUntil(
  attempt: () => Promise<void>,
  deadlineMs: number,
  opts: {
    superseded?: () => boolean;
    onRetry?: (err: unknown, delayMs: number) => void;
    timing?: RetryTiming;
  } = {},
): Promise<RetryOutcome> {
  const t = opts.timing ?? realTiming;
  for (let n = 0; ; n++) {
    if (opts.superseded?.()) return 'superseded';
    try {
      await attempt();
      return 'done';
    } catch (err) {
      const left = deadlineMs - t.now();
      if (left <= 0) throw err;
      const delay = Math.min(ackRetryDelayMs(n), left);
      opts.onRetry?.(err, delay);
      await t.sleep(delay);
    }
  }
}

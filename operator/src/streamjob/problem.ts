/**
 * Errors that a user or administrator must fix (a name taken by someone else's object, missing
 * credentials, an admission rejection), as opposed to transient failures. The reconciler shows
 * them as `Degraded=True` with their reason and message, records a Warning Event, and retries
 * with backoff (the fix usually happens outside the StreamJob, so there is no event to wait for).
 */
import type { Problem } from './status.ts';

/** A {@link Problem} thrown from I/O code. */
export class ProblemError extends Error implements Problem {
  readonly reason: string;

  /**
   * @param reason CamelCase cause, e.g. OwnershipConflict
   * @param message what failed, on which object, and what to do
   */
  constructor(reason: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProblemError';
    this.reason = reason;
  }
}

/** The Problem carried by `err`, if it is one. */
export function problemOf(err: unknown): Problem | undefined {
  return err instanceof ProblemError ? { reason: err.reason, message: err.message } : undefined;
}

/**
 * How long a memo of what the operator read or wrote stands before it is read again: a random
 * share, between half and all, of the recheck period (the operator's resync period). Jobs created
 * together (a burst, an operator restart) would otherwise recheck together, one GET wave per
 * period; the jitter spreads the wave over half a period, as controller-runtime jitters its
 * SyncPeriod. A drift is still repaired within the period (docs/operator.md "Reads: informer
 * caches").
 */

/** Share of the recheck period the jitter may take off (0.5: the memo stands 50–100 % of it). */
export const RECHECK_JITTER = 0.5;

/**
 * A memo's lifetime, ms: `periodMs × (1 − RECHECK_JITTER × random())`.
 * @param periodMs the recheck period, ms
 * @param random a uniform draw in [0, 1) (Math.random; tests pass their own)
 */
export function recheckAfterMs(periodMs: number, random: () => number = Math.random): number {
  return Math.round(periodMs * (1 - RECHECK_JITTER * random()));
}

/**
 * Bounded human-readable text for status and Events (docs/operator.md "Status size"). A job's
 * status is one object: a condition message that lists every failed worker of a 300-worker
 * attempt, each with a kubelet termination message of up to 4 KiB, is past the CRD's 32 KiB
 * limit on condition messages, and then every status write of the job is rejected. So every
 * message the operator writes stays under {@link MAX_MESSAGE_BYTES}, and lists of workers are
 * summarized with counts: "37 workers failed: a-1-0 (OOMKilled), … and 34 more".
 */

/** Upper bound of any condition message or status message the operator writes, UTF-8 bytes (< 4 KiB). */
export const MAX_MESSAGE_BYTES = 4000;
/** Upper bound of one item of a summarized list (a worker and its detail), UTF-8 bytes. */
export const MAX_ITEM_BYTES = 256;
/** Items a summary names before "… and N more". */
export const MAX_LISTED_ITEMS = 3;

const ELLIPSIS = '…';

/** UTF-8 length of `text`, bytes. */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/**
 * `text` cut to at most `maxBytes` UTF-8 bytes, ending in "…" when cut; never splits a
 * character (surrogate pairs included).
 * @param maxBytes ≥ 3 (the ellipsis is 3 bytes)
 */
export function boundText(text: string, maxBytes = MAX_MESSAGE_BYTES): string {
  if (utf8Bytes(text) <= maxBytes) return text;
  const budget = maxBytes - utf8Bytes(ELLIPSIS);
  let used = 0;
  let end = 0;
  for (const ch of text) {
    const n = utf8Bytes(ch);
    if (used + n > budget) break;
    used += n;
    end += ch.length;
  }
  return `${text.slice(0, end)}${ELLIPSIS}`;
}

/**
 * A counted summary of `items`: the first `listed` items (each bounded to {@link MAX_ITEM_BYTES}),
 * then "… and N more" — e.g. `summarizeList(names, 3)` of 37 names is
 * "a-1-0, a-1-1, a-1-2, … and 34 more". All items when there are at most `listed`.
 */
export function summarizeList(items: readonly string[], listed = MAX_LISTED_ITEMS): string {
  const shown = items.slice(0, listed).map((i) => boundText(i, MAX_ITEM_BYTES));
  const rest = items.length - shown.length;
  return rest > 0 ? `${shown.join(', ')}, … and ${rest} more` : shown.join(', ');
}

/**
 * "<count> <noun(s)> <verb>: <summary>" — e.g. `countedSummary(names, 'worker', 'failed')` is
 * "37 workers failed: a-1-0 (OOMKilled), a-1-1 (Error), a-1-2 (Error), … and 34 more".
 * Bounded to {@link MAX_MESSAGE_BYTES}.
 */
export function countedSummary(items: readonly string[], noun: string, verb: string): string {
  const n = items.length;
  return boundText(`${n} ${noun}${n === 1 ? '' : 's'} ${verb}: ${summarizeList(items)}`);
}

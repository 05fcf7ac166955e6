/**
 * Turns the record batches of one partition in a Fetch response into the data records a
 * source emits and the next fetch position (pure; used by kafka-source-reader.ts).
 *
 * Transaction handling under read_committed follows the Kafka protocol: the broker returns
 * records only up to the last stable offset, plus the list of aborted transactions
 * (producer id, first offset) overlapping them. A transactional batch of producer P is
 * skipped from the first offset of one of P's aborted transactions until P's ABORT marker; the
 * markers themselves (control batches) are never data. The client library filters aborted
 * ranges only when their marker is in the same response (docs/connectors.md), so the
 * source applies this rule itself.
 */

/** Batch attribute bits (Kafka record batch format v2). */
const IS_TRANSACTIONAL = 1 << 4;
const IS_CONTROL = 1 << 5;

/** The fields of a fetched record batch this module reads. */
export interface FetchedBatch {
  firstOffset: bigint;
  lastOffsetDelta: number;
  firstTimestamp: bigint;
  attributes: number;
  producerId: bigint;
  records: Array<{ offsetDelta: number; timestampDelta: bigint; key: Buffer | null; value: Buffer | null }>;
}

/** One aborted transaction of a Fetch response. */
export interface AbortedTransaction {
  producerId: bigint;
  firstOffset: bigint;
}

/** A data record: its offset, key, value and Kafka timestamp (ms). */
export interface FetchedRecord {
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  timestamp: number;
}

/** True for a control batch whose marker is ABORT (control record key: int16 version, int16 type 0). */
function isAbortMarker(b: FetchedBatch): boolean {
  const key = b.records[0]?.key;
  return key !== null && key !== undefined && key.length >= 4 && key.readInt16BE(2) === 0;
}

/**
 * The records of `batches` at or after `fetchOffset` and before `stopOffset`, without
 * transaction markers and (when `readCommitted`) without records of aborted transactions.
 * @returns the records in offset order and the offset to fetch next (never beyond `stopOffset`)
 */
export function dataRecords(
  batches: readonly FetchedBatch[],
  aborted: readonly AbortedTransaction[] | null,
  fetchOffset: bigint,
  stopOffset: bigint | undefined,
  readCommitted: boolean,
): { records: FetchedRecord[]; next: bigint } {
  const pending = readCommitted
    ? [...(aborted ?? [])].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : 1))
    : [];
  const abortedProducers = new Set<bigint>();
  const records: FetchedRecord[] = [];
  let next = fetchOffset;
  const cap = (o: bigint) => (stopOffset !== undefined && o > stopOffset ? stopOffset : o);
  for (const b of batches) {
    const last = b.firstOffset + BigInt(b.lastOffsetDelta);
    if (stopOffset !== undefined && b.firstOffset >= stopOffset) break;
    while (pending.length > 0 && pending[0]!.firstOffset <= last)
      abortedProducers.add(pending.shift()!.producerId);
    const end = cap(last + 1n);
    if (b.attributes & IS_CONTROL) {
      if (isAbortMarker(b)) abortedProducers.delete(b.producerId);
      if (end > next) next = end;
      continue;
    }
    if (readCommitted && b.attributes & IS_TRANSACTIONAL && abortedProducers.has(b.producerId)) {
      if (end > next) next = end;
      continue;
    }
    for (const r of b.records) {
      const offset = b.firstOffset + BigInt(r.offsetDelta);
      if (offset < fetchOffset) continue;
      if (stopOffset !== undefined && offset >= stopOffset) break;
      records.push({
        offset: Number(offset),
        key: r.key,
        value: r.value,
        timestamp: Number(b.firstTimestamp + r.timestampDelta),
      });
    }
    if (end > next) next = end;
  }
  return { records, next };
}

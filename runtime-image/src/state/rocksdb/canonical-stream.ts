/**
 * Canonical payloads of a RocksDB state backend read lazily, key group by key group, from one
 * RocksDB iterator opened at the barrier (docs/state.md "Snapshots: two formats"). A RocksDB
 * iterator reads the database as of its creation (@nxtedition/rocksdb 12.2.12 binding.cc
 * BaseIterator calls DB::NewIterator in the constructor, with no explicit snapshot, so RocksDB
 * pins the sequence number current then): writes made after the barrier are invisible to it, so
 * the task may go on processing records while the savepoint is written.
 * canonical-stream.test.ts shows this on a real database.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { KeyGroupRange } from '../../core/keygroups.ts';
import type { CanonicalPayloadStream } from '../keyed-state-backend.ts';
import { keyGroupPrefix, type TableInfo } from './key-layout.ts';
import type { RocksDb } from './rocks-db.ts';
import { PayloadAssembler } from './table-scan.ts';

/** Rows per synchronous iterator step. */
const ROWS_PER_STEP = 1000;

/**
 * Opens an iterator over `range` now (synchronously: call it at the barrier, after flushing the
 * write cache) and returns a stream of the canonical payloads it sees, ascending key groups,
 * empty groups absent. Consuming the stream reads ROWS_PER_STEP rows per synchronous step and
 * yields to the event loop after each key group, so the task keeps running; memory holds one key
 * group's payload plus one step of rows. The stream can be consumed once.
 * @param tablesById the table registry at the barrier (copied)
 * @throws StateFormatError (while consuming) when a row belongs to no registered table or does
 *   not decode; the binding's error when the database was closed meanwhile
 */
export function canonicalPayloadStream(
  db: RocksDb,
  range: KeyGroupRange,
  tablesById: ReadonlyMap<number, TableInfo>,
): CanonicalPayloadStream {
  if (range.end < range.start) return { release: () => undefined, [Symbol.asyncIterator]: emptyIterator };
  if (db.isClosed) throw new Error(`RocksDB state in ${db.location} is closed`);
  const it = db.level.iterator({
    gte: keyGroupPrefix(range.start),
    lt: keyGroupPrefix(range.end + 1),
    keys: true,
    values: true,
  });
  const tables = new Map(tablesById);
  let open = true;
  let used = false;
  const release = (): void => {
    if (!open) return;
    open = false;
    it._closeSync();
  };
  async function* payloads(): AsyncGenerator<[number, Uint8Array]> {
    try {
      const assembler = new PayloadAssembler(tables);
      let finished = false;
      while (!finished) {
        if (!open) throw new Error('canonical payload stream was released before its end');
        const step = it._nextvSync(ROWS_PER_STEP, {});
        finished = step.finished;
        const ready: Array<[number, Uint8Array]> = [];
        for (let i = 0; i < step.rows.length; i += 2) {
          const done = assembler.add(step.rows[i]!, step.rows[i + 1]!);
          if (done) ready.push(done);
        }
        for (const p of ready) {
          yield p;
          await nextTurn();
        }
      }
      const last = assembler.finish();
      if (last) yield last;
    } finally {
      release();
    }
  }
  return {
    release,
    [Symbol.asyncIterator]() {
      if (used) throw new Error('a canonical payload stream can be consumed only once');
      used = true;
      return payloads();
    },
  };
}

async function* emptyIterator(): AsyncGenerator<[number, Uint8Array]> {}

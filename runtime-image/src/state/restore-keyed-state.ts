/**
 * Loads the keyed sections of a restored canonical snapshot into the stages' backends as they
 * are read, one key group's section at a time (docs/state.md "Snapshots: two formats"), so a
 * savepoint larger than memory restores into the rocksdb backend. Each table goes to the backend
 * of the stage whose keyed operator has its uid.
 */
import type { KeyedStateBackend, TableSnapshot } from './keyed-state-backend.ts';

/** What restoreKeyedSections did. */
export interface KeyedRestoreResult {
  /** Key-group sections read. */
  sections: number;
  /** uids of tables that no backend took (their state was not restored). */
  unclaimed: Set<string>;
}

/**
 * Restores every section of `sections` into the backend `backendOf` names for each table's uid.
 * @throws what the iteration throws (SnapshotCorruptedError for a damaged section) and what
 *   backend.restoreGroup throws (StateFormatError, RangeError)
 */
export async function restoreKeyedSections(
  sections: AsyncIterable<{ keyGroup: number; tables: TableSnapshot[] }>,
  backendOf: ReadonlyMap<string, KeyedStateBackend>,
): Promise<KeyedRestoreResult> {
  const unclaimed = new Set<string>();
  let count = 0;
  for await (const { keyGroup, tables } of sections) {
    count++;
    const byBackend = new Map<KeyedStateBackend, TableSnapshot[]>();
    for (const t of tables) {
      const b = Array.isArray(t) ? backendOf.get(t[0]) : undefined;
      if (!b) {
        unclaimed.add(Array.isArray(t) ? String(t[0]) : '?');
        continue;
      }
      let list = byBackend.get(b);
      if (!list) byBackend.set(b, (list = []));
      list.push(t);
    }
    for (const [b, list] of byBackend) b.restoreGroup(keyGroup, list);
  }
  return { sections: count, unclaimed };
}

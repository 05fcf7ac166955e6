import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeapStateBackend } from './heap-state-backend.ts';
import { openStateBackend, removeStaleStateDirs } from './open-backend.ts';
import { RocksDbStateBackend } from './rocksdb/rocksdb-state-backend.ts';

describe('openStateBackend', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-open-backend-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('removes only this worker’s directories of earlier runs', async () => {
    for (const n of ['s1-w0-0a1b', 's2-w0-ffff0000', 's1-w1-0a1b', 's1-w10-0a1b', 'other'])
      mkdirSync(join(dir, n));
    expect((await removeStaleStateDirs(dir, 0)).sort()).toEqual(['s1-w0-0a1b', 's2-w0-ffff0000']);
    expect(readdirSync(dir).sort()).toEqual(['other', 's1-w1-0a1b', 's1-w10-0a1b']);
    expect(await removeStaleStateDirs(join(dir, 'new', 'sub'), 3)).toEqual([]);
    expect(existsSync(join(dir, 'new', 'sub'))).toBe(true);
  });

  it('opens a heap backend, or a RocksDB one in a fresh directory per stage', async () => {
    const range = { start: 0, end: 63 };
    expect(await openStateBackend({ backend: 'heap' }, 1, 0, range)).toBeInstanceOf(HeapStateBackend);
    const config = { backend: 'rocksdb' as const, dir, memoryBytes: 16 << 20, incremental: true };
    const a = await openStateBackend(config, 1, 2, range);
    const b = await openStateBackend(config, 2, 2, range);
    expect(a).toBeInstanceOf(RocksDbStateBackend);
    expect(readdirSync(dir).sort()).toEqual([
      expect.stringMatching(/^s1-w2-[0-9a-f]{8}$/),
      expect.stringMatching(/^s2-w2-[0-9a-f]{8}$/),
    ]);
    a.setCurrentKey('k', 3);
    a.valueState<number>('op', 'v').update(1);
    await Promise.all([a.close(), b.close()]);
    // A closed backend refuses work instead of reaching a closed native handle.
    expect(() => a.valueState<number>('op', 'v').value()).toThrow(/is closed/);
    expect(a.entryCount()).toBeGreaterThanOrEqual(0);
  });
});

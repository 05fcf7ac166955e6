import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RestoreError } from '../checkpoint/restore.ts';
import { ObjectStore } from '../io/object-store.ts';
import { HeapStateBackend } from './heap-state-backend.ts';
import { RocksDbStateBackend } from './rocksdb/rocksdb-state-backend.ts';
import { StageState } from './stage-state.ts';

// Never contacted: nothing here restores or uploads.
const store = ObjectStore.fromConfig({
  endpoint: 'http://127.0.0.1:9',
  bucket: 'b',
  accessKey: 'a',
  secretKey: 's',
});

describe('StageState', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-stage-state-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const range = { start: 0, end: 63 };
  const base = { subtask: 2, range, store, jobPrefix: 'p/ns/job/uid' };

  it('opens a heap backend, or a RocksDB one in a fresh directory per stage', async () => {
    const heap = await StageState.open({ ...base, config: { backend: 'heap' }, stage: 1 });
    expect(heap.backend).toBeInstanceOf(HeapStateBackend);
    const config = { backend: 'rocksdb' as const, dir, memoryBytes: 16 << 20, incremental: true };
    const a = await StageState.open({ ...base, config, stage: 1 });
    const b = await StageState.open({ ...base, config, stage: 2 });
    expect(a.backend).toBeInstanceOf(RocksDbStateBackend);
    expect(readdirSync(dir).sort()).toEqual([
      expect.stringMatching(/^s1-w2-[0-9a-f]{8}$/),
      expect.stringMatching(/^s2-w2-[0-9a-f]{8}$/),
    ]);
    a.backend.setCurrentKey('k', 3);
    a.backend.valueState<number>('op', 'v').update(1);
    await Promise.all([a.close(), b.close(), heap.close()]);
    // A closed backend refuses work instead of reaching a closed native handle.
    expect(() => a.backend.valueState<number>('op', 'v').value()).toThrow(/is closed/);
  });

  it('streams savepoints and full checkpoints of RocksDB as canonical payloads as of the barrier', async () => {
    const config = { backend: 'rocksdb' as const, dir, memoryBytes: 16 << 20, incremental: false };
    const s = await StageState.open({ ...base, config, stage: 1 });
    s.backend.setCurrentKey('k', 3);
    s.backend.valueState<number>('op', 'v').update(7);
    const streamed = async (kind: 'checkpoint' | 'savepoint') => {
      const cap = s.capture(1, kind, Date.now() + 1000);
      expect(cap.native).toBeUndefined();
      expect(cap.keyed.size).toBe(0);
      // Written after the barrier: not in the snapshot.
      s.backend.setCurrentKey('late', 5);
      s.backend.valueState<number>('op', 'v').update(1);
      const groups: number[] = [];
      for await (const [g] of cap.keyedStream!) groups.push(g);
      return groups;
    };
    expect(await streamed('checkpoint')).toEqual([3]);
    expect(await streamed('savepoint')).toEqual([3, 5]);
    await s.close();
  });

  it('refuses to restore an incremental RocksDB checkpoint into the heap backend', async () => {
    const handle = {
      format: 1,
      stage: 1,
      keyGroupRange: { start: 0, end: 127 },
      instance: 's1-w0-00000000',
      sequence: 5,
      shared: [],
      private: [],
    };
    await expect(
      StageState.open({
        ...base,
        config: { backend: 'heap' },
        stage: 1,
        restoredHandles: [handle],
        restoredFrom: 's3://b/p/ns/job/uid/checkpoints/chk-4',
      }),
    ).rejects.toThrow(
      new RestoreError(
        "cannot restore s3://b/p/ns/job/uid/checkpoints/chk-4: stage 1's state is an incremental RocksDB checkpoint, which only the rocksdb backend restores; switch backends through a savepoint",
      ),
    );
  });
});

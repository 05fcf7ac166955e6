import { ConfigError, readWorkerConfig } from './config.ts';

const base = {
  SLUICE_JOB_NAME: 'wc',
  SLUICE_JOB_NAMESPACE: 'team-a',
  SLUICE_JOB_ENTRY: 'wordcount',
  SLUICE_SUBTASK_INDEX: '1',
  SLUICE_PARALLELISM: '3',
  SLUICE_ATTEMPT: '2',
  SLUICE_PEER_SERVICE: 'wc-workers',
  SLUICE_STORAGE_ENDPOINT: 'http://minio:9000',
  SLUICE_STORAGE_BUCKET: 'b',
  SLUICE_STORAGE_ACCESS_KEY: 'a',
  SLUICE_STORAGE_SECRET_KEY: 's',
};

describe('readWorkerConfig', () => {
  it('derives peer addresses from the headless service', () => {
    const c = readWorkerConfig(base);
    expect(c.peers).toEqual([
      'wc-2-0.wc-workers.team-a.svc:7070',
      'wc-2-1.wc-workers.team-a.svc:7070',
      'wc-2-2.wc-workers.team-a.svc:7070',
    ]);
    expect(c).toMatchObject({
      subtask: 1,
      parallelism: 3,
      maxParallelism: 128,
      attempt: 2,
      controlMode: 'pod',
      podName: 'wc-2-1',
    });
  });

  it('takes SLUICE_PEERS for local runs', () => {
    const c = readWorkerConfig({
      ...base,
      SLUICE_PEERS: '127.0.0.1:1,127.0.0.1:2,127.0.0.1:3',
      SLUICE_CONTROL_MODE: 'local',
    });
    expect(c.peers).toEqual(['127.0.0.1:1', '127.0.0.1:2', '127.0.0.1:3']);
    expect(c.controlMode).toBe('local');
  });

  it('reads the restore source as a key prefix or an s3:// URL', () => {
    expect(
      readWorkerConfig({ ...base, SLUICE_RESTORE_FROM: 'p/ns/wc/uid/checkpoints/chk-7/' }).restoreFrom,
    ).toEqual({
      bucket: undefined,
      path: 'p/ns/wc/uid/checkpoints/chk-7',
    });
    expect(readWorkerConfig({ ...base, SLUICE_RESTORE_FROM: 's3://archive/sp/sp-3-x' }).restoreFrom).toEqual({
      bucket: 'archive',
      path: 'sp/sp-3-x',
    });
    expect(readWorkerConfig(base).restoreFrom).toBeUndefined();
    expect(() => readWorkerConfig({ ...base, SLUICE_RESTORE_FROM: 's3://only-bucket' })).toThrow(
      /is not s3:\/\/<bucket>/,
    );
  });

  it('reads the checkpoint interval and timeout together, absent when unset', () => {
    expect(readWorkerConfig(base).checkpoint).toBeUndefined();
    expect(
      readWorkerConfig({
        ...base,
        SLUICE_CHECKPOINT_INTERVAL_MS: '60000',
        SLUICE_CHECKPOINT_TIMEOUT_MS: '600000',
      }).checkpoint,
    ).toEqual({ intervalMs: 60_000, timeoutMs: 600_000 });
    expect(() => readWorkerConfig({ ...base, SLUICE_CHECKPOINT_INTERVAL_MS: '60000' })).toThrow(
      'SLUICE_CHECKPOINT_INTERVAL_MS and SLUICE_CHECKPOINT_TIMEOUT_MS go together; only SLUICE_CHECKPOINT_INTERVAL_MS is set',
    );
    expect(() =>
      readWorkerConfig({ ...base, SLUICE_CHECKPOINT_INTERVAL_MS: '0', SLUICE_CHECKPOINT_TIMEOUT_MS: '1' }),
    ).toThrow(ConfigError);
  });

  it('reads the snapshot key as bytes, absent when unset', () => {
    const key = 'f'.repeat(64);
    expect(readWorkerConfig({ ...base, SLUICE_SNAPSHOT_KEY: key }).snapshotKey).toEqual(Buffer.from(key));
    expect(readWorkerConfig(base).snapshotKey).toBeUndefined();
  });

  it.each([
    [{ SLUICE_SUBTASK_INDEX: '3' }, /SLUICE_SUBTASK_INDEX=3 must be below SLUICE_PARALLELISM=3/],
    [{ SLUICE_PARALLELISM: 'x' }, /SLUICE_PARALLELISM="x" is not an integer/],
    [{ SLUICE_MAX_PARALLELISM: '2' }, /parallelism 3 is outside \[1, maxParallelism=2\]/],
    [{ SLUICE_JOB_CONFIG: '{' }, /SLUICE_JOB_CONFIG is not valid JSON/],
    [{ SLUICE_PEERS: 'a:1' }, /SLUICE_PEERS must list 3 host:port entries/],
    [{ SLUICE_CONTROL_MODE: 'http' }, /SLUICE_CONTROL_MODE must be pod or local/],
    [{ SLUICE_STORAGE_BUCKET: '' }, /SLUICE_STORAGE_BUCKET is required/],
    [
      { SLUICE_SNAPSHOT_KEY: 'too-short' },
      /SLUICE_SNAPSHOT_KEY is 9 bytes long; a snapshot key needs at least 32/,
    ],
  ])('rejects %j', (override, message) => {
    expect(() => readWorkerConfig({ ...base, ...override })).toThrow(ConfigError);
    expect(() => readWorkerConfig({ ...base, ...override })).toThrow(message);
  });

  it('reads the state backend: heap by default, rocksdb with a required directory', () => {
    expect(readWorkerConfig(base).state).toEqual({ backend: 'heap' });
    expect(readWorkerConfig({ ...base, SLUICE_STATE_BACKEND: 'heap', SLUICE_STATE_DIR: '/x' }).state).toEqual(
      {
        backend: 'heap',
      },
    );
    expect(
      readWorkerConfig({ ...base, SLUICE_STATE_BACKEND: 'rocksdb', SLUICE_STATE_DIR: '/state' }).state,
    ).toEqual({
      backend: 'rocksdb',
      dir: '/state',
      memoryBytes: 128 * 1024 * 1024,
      incremental: true,
    });
    expect(
      readWorkerConfig({
        ...base,
        SLUICE_STATE_BACKEND: 'rocksdb',
        SLUICE_STATE_DIR: '/state',
        SLUICE_STATE_MEMORY_BYTES: '268435456',
        SLUICE_STATE_INCREMENTAL: 'false',
      }).state,
    ).toEqual({ backend: 'rocksdb', dir: '/state', memoryBytes: 268435456, incremental: false });
    expect(() => readWorkerConfig({ ...base, SLUICE_STATE_BACKEND: 'rocksdb' })).toThrow(
      'SLUICE_STATE_BACKEND=rocksdb needs SLUICE_STATE_DIR, a directory for the local state (an emptyDir or volume mount)',
    );
    expect(() => readWorkerConfig({ ...base, SLUICE_STATE_BACKEND: 'lmdb' })).toThrow(
      'SLUICE_STATE_BACKEND must be heap or rocksdb, got "lmdb"',
    );
    const rocks = { ...base, SLUICE_STATE_BACKEND: 'rocksdb', SLUICE_STATE_DIR: '/state' };
    expect(() => readWorkerConfig({ ...rocks, SLUICE_STATE_MEMORY_BYTES: '1000' })).toThrow(
      /SLUICE_STATE_MEMORY_BYTES="1000" is not an integer ≥ 8388608/,
    );
    expect(() => readWorkerConfig({ ...rocks, SLUICE_STATE_INCREMENTAL: 'yes' })).toThrow(ConfigError);
  });
});

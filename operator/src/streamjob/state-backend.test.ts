import { ENV } from '../../../api/src/protocol.ts';
import { defaultSpec } from '../../../test/harness/operator-fixtures.ts';
import {
  DEFAULT_STATE_MEMORY_BYTES,
  STATE_MOUNT,
  memoryQuantityBytes,
  stateBackendEnv,
  stateMemoryBytes,
  stateVolume,
} from './state-backend.ts';

describe('memoryQuantityBytes', () => {
  it('reads binary and decimal suffixes, fractions and plain numbers', () => {
    expect(memoryQuantityBytes('512Mi')).toBe(512 * 2 ** 20);
    expect(memoryQuantityBytes('1.5Gi')).toBe(1.5 * 2 ** 30);
    expect(memoryQuantityBytes('2G')).toBe(2e9);
    expect(memoryQuantityBytes('1048576')).toBe(1048576);
    expect(memoryQuantityBytes(4096)).toBe(4096);
  });

  it('returns undefined for forms it does not take', () => {
    expect(memoryQuantityBytes('1e9')).toBeUndefined();
    expect(memoryQuantityBytes('500m')).toBeUndefined();
    expect(memoryQuantityBytes(undefined)).toBeUndefined();
  });
});

describe('stateMemoryBytes', () => {
  it('is 0.4 of the memory limit, else of the request, else the default', () => {
    expect(stateMemoryBytes({ limits: { memory: '512Mi' }, requests: { memory: '1Gi' } })).toBe(
      Math.floor(512 * 2 ** 20 * 0.4),
    );
    expect(stateMemoryBytes({ requests: { memory: '1Gi' } })).toBe(Math.floor(2 ** 30 * 0.4));
    expect(stateMemoryBytes(undefined)).toBe(DEFAULT_STATE_MEMORY_BYTES);
  });
});

describe('state backend on the worker pod', () => {
  it('adds nothing for heap', () => {
    const spec = defaultSpec();
    expect(stateBackendEnv(spec)).toEqual([]);
    expect(stateVolume(spec)).toBeUndefined();
  });

  it('selects rocksdb with its directory, incremental default and memory budget', () => {
    const spec = {
      ...defaultSpec(),
      stateBackend: { type: 'rocksdb' as const },
      podTemplate: { terminationGracePeriodSeconds: 30, resources: { limits: { memory: '1Gi' } } },
    };
    const env = Object.fromEntries(stateBackendEnv(spec).map((e) => [e.name, e.value]));
    expect(env).toEqual({
      [ENV.stateBackend]: 'rocksdb',
      [ENV.stateIncremental]: 'true',
      [ENV.stateDir]: STATE_MOUNT,
      [ENV.stateMemoryBytes]: String(Math.floor(2 ** 30 * 0.4)),
    });
    expect(stateVolume(spec)).toEqual({
      volume: { name: 'state', emptyDir: { sizeLimit: '10Gi' } },
      mount: { name: 'state', mountPath: STATE_MOUNT },
    });
  });

  it('uses a generic ephemeral volume when a storage class is given', () => {
    const spec = {
      ...defaultSpec(),
      stateBackend: {
        type: 'rocksdb' as const,
        incremental: false,
        localStorage: { size: '50Gi', storageClassName: 'fast' },
      },
    };
    expect(stateBackendEnv(spec).find((e) => e.name === ENV.stateIncremental)?.value).toBe('false');
    const v = stateVolume(spec)!.volume;
    expect(v.emptyDir).toBeUndefined();
    expect(v.ephemeral?.volumeClaimTemplate?.spec).toEqual({
      accessModes: ['ReadWriteOnce'],
      storageClassName: 'fast',
      resources: { requests: { storage: '50Gi' } },
    });
  });
});

import { ENV } from '@sluice/api/protocol.ts';
import { defaultSpec } from '../../../test/harness/operator-fixtures.ts';
import {
  DEFAULT_STATE_MEMORY_BYTES,
  STATE_MOUNT,
  memoryQuantityBytes,
  RUNTIME_NODE_OPTIONS,
  containerMemoryBytes,
  stateBackendEnv,
  stateVolume,
  workerMemoryPlan,
} from './state-backend.ts';
import { readFileSync } from 'node:fs';

const MiB = 2 ** 20;

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

describe('workerMemoryPlan', () => {
  it('gives RocksDB and the V8 old generation 0.4 each of the limit less the runtime reserve', () => {
    // 512 MiB: 320 MiB after the 192 MiB reserve; 128 MiB each, 64 MiB headroom.
    expect(workerMemoryPlan(512 * MiB)).toEqual({ stateMemoryBytes: 128 * MiB, oldSpaceMiB: 128 });
    expect(workerMemoryPlan(2048 * MiB)).toEqual({
      stateMemoryBytes: Math.floor(1856 * MiB * 0.4),
      oldSpaceMiB: Math.floor(1856 * 0.4),
    });
  });

  it('keeps floors in small containers and Node’s defaults without a limit', () => {
    expect(workerMemoryPlan(256 * MiB)).toEqual({ stateMemoryBytes: 32 * MiB, oldSpaceMiB: 96 });
    expect(workerMemoryPlan(100 * MiB)).toEqual({ stateMemoryBytes: 32 * MiB, oldSpaceMiB: 96 });
    expect(workerMemoryPlan(undefined)).toEqual({ stateMemoryBytes: DEFAULT_STATE_MEMORY_BYTES });
  });

  it('reads the memory limit, else the request', () => {
    expect(containerMemoryBytes({ limits: { memory: '512Mi' }, requests: { memory: '1Gi' } })).toBe(
      512 * MiB,
    );
    expect(containerMemoryBytes({ requests: { memory: '1Gi' } })).toBe(1024 * MiB);
    expect(containerMemoryBytes(undefined)).toBeUndefined();
  });

  it('keeps the runtime image’s NODE_OPTIONS when it adds the old-space size', () => {
    const dockerfile = readFileSync(new URL('../../../runtime-image/Dockerfile', import.meta.url), 'utf8');
    expect(dockerfile).toContain(`NODE_OPTIONS=${RUNTIME_NODE_OPTIONS}\n`);
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
      [ENV.stateMemoryBytes]: String(Math.floor(832 * MiB * 0.4)),
      MALLOC_ARENA_MAX: '2',
      NODE_OPTIONS: `--no-warnings=ExperimentalWarning --max-old-space-size=${Math.floor(832 * 0.4)}`,
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

/**
 * What `spec.stateBackend` adds to a worker pod (docs/state.md "Choosing a backend"): the
 * environment that selects the backend, and for `rocksdb` the local-state volume and the native
 * memory budget derived from the container's memory limit. Pure.
 */
import type { V1EnvVar, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import { ENV } from '@sluice/api/protocol.ts';
import type { StreamJobSpec, WorkerResources } from '@sluice/api/streamjob.ts';

/** Name of the local-state volume of a rocksdb worker. */
export const STATE_VOLUME = 'state';
/** Where the local-state volume is mounted in the worker container (SLUICE_STATE_DIR). */
export const STATE_MOUNT = '/var/lib/sluice/state';
/** Size of the local-state volume when spec.stateBackend.localStorage.size is unset. */
export const DEFAULT_LOCAL_STATE_SIZE = '10Gi';
/**
 * Memory a rocksdb worker keeps for Node.js itself, outside both budgets below: its code and
 * binary, V8's young generation, libuv and allocator overhead (a worker measured 150–200 MiB RSS
 * at start; docs/state.md "Memory"), bytes.
 */
export const RUNTIME_RESERVE_BYTES = 192 * 2 ** 20;
/**
 * Share of the memory left after {@link RUNTIME_RESERVE_BYTES} given to RocksDB (block cache +
 * write buffers). 0.4 is the default managed-memory fraction of Flink's TaskManager
 * (`taskmanager.memory.managed.fraction`), which its RocksDB backend uses as its budget.
 */
export const STATE_MEMORY_FRACTION = 0.4;
/** Share of the same remainder given to the V8 old generation (`--max-old-space-size`). */
export const OLD_SPACE_FRACTION = 0.4;
/** Floors of the two budgets for small containers (they then overcommit the limit), bytes. */
export const MIN_STATE_MEMORY_BYTES = 32 * 2 ** 20;
export const MIN_OLD_SPACE_BYTES = 96 * 2 ** 20;
/**
 * glibc malloc arenas of a rocksdb worker (MALLOC_ARENA_MAX). RocksDB's background threads each
 * get an arena by default, and the freed memory they keep showed as RSS above the budgets; 2
 * arenas lowered the peak by 25 MiB at 10 M keys (docs/state.md "Memory").
 */
export const MALLOC_ARENAS = 2;
/**
 * NODE_OPTIONS of the runtime image (runtime-image/Dockerfile), kept when the operator adds the
 * old-space size: the pod's variable replaces the image's.
 */
export const RUNTIME_NODE_OPTIONS = '--no-warnings=ExperimentalWarning';
/** Native memory budget (bytes) when the container has no memory limit: 256 MiB. */
export const DEFAULT_STATE_MEMORY_BYTES = 256 * 1024 * 1024;

const UNITS: Record<string, number> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
};

/**
 * Bytes of a Kubernetes memory quantity (`512Mi`, `1G`, `1.5Gi`, `1048576`); undefined for a
 * form this parser does not take (exponents, milli): the caller then uses its default.
 */
export function memoryQuantityBytes(q: number | string | undefined): number | undefined {
  if (q === undefined) return undefined;
  if (typeof q === 'number') return q;
  const m = /^([0-9]+(?:\.[0-9]+)?)(k|M|G|T|P|Ki|Mi|Gi|Ti|Pi)?$/.exec(q.trim());
  if (!m) return undefined;
  return Math.floor(Number(m[1]) * UNITS[m[2] ?? '']!);
}

/** How a rocksdb worker's memory is split (docs/state.md "Memory"). */
export interface WorkerMemoryPlan {
  /** RocksDB's native budget (SLUICE_STATE_MEMORY_BYTES), bytes. */
  stateMemoryBytes: number;
  /** V8's old-generation limit (`--max-old-space-size`), MiB; undefined: Node's default. */
  oldSpaceMiB?: number;
}

/**
 * The memory plan of a rocksdb worker whose container has `limitBytes` (its memory limit, else
 * its request): with U = limit − {@link RUNTIME_RESERVE_BYTES}, RocksDB gets
 * {@link STATE_MEMORY_FRACTION}·U and the V8 old generation {@link OLD_SPACE_FRACTION}·U (each
 * at least its floor); the rest is headroom (allocator fragmentation, compaction, table
 * readers). Without a limit or request: {@link DEFAULT_STATE_MEMORY_BYTES} and Node's default
 * heap. Node sizes its heap from the container limit by default, which leaves no room for RocksDB.
 * @param limitBytes bytes, or undefined when the container has no memory limit or request
 */
export function workerMemoryPlan(limitBytes: number | undefined): WorkerMemoryPlan {
  if (limitBytes === undefined) return { stateMemoryBytes: DEFAULT_STATE_MEMORY_BYTES };
  const usable = Math.max(0, limitBytes - RUNTIME_RESERVE_BYTES);
  const oldSpace = Math.max(Math.floor(usable * OLD_SPACE_FRACTION), MIN_OLD_SPACE_BYTES);
  return {
    stateMemoryBytes: Math.max(Math.floor(usable * STATE_MEMORY_FRACTION), MIN_STATE_MEMORY_BYTES),
    oldSpaceMiB: Math.floor(oldSpace / 2 ** 20),
  };
}

/** The container's memory limit, else its memory request, bytes; undefined when neither is set. */
export function containerMemoryBytes(resources: WorkerResources | undefined): number | undefined {
  return memoryQuantityBytes(resources?.limits?.memory) ?? memoryQuantityBytes(resources?.requests?.memory);
}

/**
 * The environment selecting the state backend (api/src/protocol.ts ENV); none for heap, the
 * runtime's default, so heap workers look as they did before the field existed. For rocksdb also
 * the memory plan ({@link workerMemoryPlan}): MALLOC_ARENA_MAX and, with a container limit,
 * NODE_OPTIONS with `--max-old-space-size` (a NODE_OPTIONS in podTemplate.env comes later and wins).
 */
export function stateBackendEnv(spec: StreamJobSpec): V1EnvVar[] {
  const b = spec.stateBackend;
  if (b?.type !== 'rocksdb') return [];
  const plan = workerMemoryPlan(containerMemoryBytes(spec.podTemplate?.resources));
  return [
    { name: ENV.stateBackend, value: 'rocksdb' },
    { name: ENV.stateIncremental, value: String(b.incremental ?? true) },
    { name: ENV.stateDir, value: STATE_MOUNT },
    { name: ENV.stateMemoryBytes, value: String(plan.stateMemoryBytes) },
    { name: 'MALLOC_ARENA_MAX', value: String(MALLOC_ARENAS) },
    ...(plan.oldSpaceMiB !== undefined
      ? [{ name: 'NODE_OPTIONS', value: `${RUNTIME_NODE_OPTIONS} --max-old-space-size=${plan.oldSpaceMiB}` }]
      : []),
  ];
}

/**
 * The local-state volume and its mount, or undefined for the heap backend: an emptyDir with the
 * size as its sizeLimit, or with a storage class a generic ephemeral volume (a claim created and
 * deleted with the pod; allowed by the restricted Pod Security Standard).
 */
export function stateVolume(spec: StreamJobSpec): { volume: V1Volume; mount: V1VolumeMount } | undefined {
  const b = spec.stateBackend;
  if (b?.type !== 'rocksdb') return undefined;
  const size = b.localStorage?.size ?? DEFAULT_LOCAL_STATE_SIZE;
  const className = b.localStorage?.storageClassName;
  const volume: V1Volume = className
    ? {
        name: STATE_VOLUME,
        ephemeral: {
          volumeClaimTemplate: {
            metadata: { labels: { 'app.kubernetes.io/managed-by': 'sluice-operator' } },
            spec: {
              accessModes: ['ReadWriteOnce'],
              storageClassName: className,
              resources: { requests: { storage: size } },
            },
          },
        },
      }
    : { name: STATE_VOLUME, emptyDir: { sizeLimit: size } };
  return { volume, mount: { name: STATE_VOLUME, mountPath: STATE_MOUNT } };
}

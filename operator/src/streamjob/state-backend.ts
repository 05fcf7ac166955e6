/**
 * What `spec.stateBackend` adds to a worker pod (docs/state.md "Choosing a backend"): the
 * environment that selects the backend, and for `rocksdb` the local-state volume and the native
 * memory budget derived from the container's memory limit. Pure.
 */
import type { V1EnvVar, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import { ENV } from '../../../api/src/protocol.ts';
import type { StreamJobSpec, WorkerResources } from '../../../api/src/streamjob.ts';

/** Name of the local-state volume of a rocksdb worker. */
export const STATE_VOLUME = 'state';
/** Where the local-state volume is mounted in the worker container (SLUICE_STATE_DIR). */
export const STATE_MOUNT = '/var/lib/sluice/state';
/** Size of the local-state volume when spec.stateBackend.localStorage.size is unset. */
export const DEFAULT_LOCAL_STATE_SIZE = '10Gi';
/**
 * Share of the container's memory limit given to RocksDB (block cache + write buffers). 0.4 is
 * the default managed-memory fraction of Flink's TaskManager (`taskmanager.memory.managed.fraction`),
 * which Flink's RocksDB backend uses as its budget; the rest stays for the JS heap and buffers.
 */
export const STATE_MEMORY_FRACTION = 0.4;
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

/**
 * The native memory budget of a rocksdb worker, bytes: {@link STATE_MEMORY_FRACTION} of the
 * container's memory limit, else of its memory request, else {@link DEFAULT_STATE_MEMORY_BYTES}.
 */
export function stateMemoryBytes(resources: WorkerResources | undefined): number {
  const bytes =
    memoryQuantityBytes(resources?.limits?.memory) ?? memoryQuantityBytes(resources?.requests?.memory);
  return bytes === undefined ? DEFAULT_STATE_MEMORY_BYTES : Math.floor(bytes * STATE_MEMORY_FRACTION);
}

/**
 * The environment selecting the state backend (api/src/protocol.ts ENV); none for heap, the
 * runtime's default, so heap workers look as they did before the field existed.
 */
export function stateBackendEnv(spec: StreamJobSpec): V1EnvVar[] {
  const b = spec.stateBackend;
  if (b?.type !== 'rocksdb') return [];
  return [
    { name: ENV.stateBackend, value: 'rocksdb' },
    { name: ENV.stateIncremental, value: String(b.incremental ?? true) },
    { name: ENV.stateDir, value: STATE_MOUNT },
    { name: ENV.stateMemoryBytes, value: String(stateMemoryBytes(spec.podTemplate?.resources)) },
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

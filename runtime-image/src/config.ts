/**
 * The worker's configuration, read from the environment the operator sets on every worker pod
 * (names in api/src/protocol.ts ENV). Pure: takes an env record, returns a validated config or
 * throws a ConfigError naming the variable.
 */
import { DEFAULT_DATA_PORT, ENV, workerPeerHost, workerPodName } from '@sluice/api/protocol.ts';
import { snapshotKeyBytes } from '@sluice/api/snapshot-mac.ts';
import type { JsonValue } from './api/types.ts';
import { checkParallelism } from './core/keygroups.ts';
import { MIN_MEMORY_BYTES } from './state/rocksdb/memory-options.ts';

/** A missing or invalid environment variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface WorkerConfig {
  jobName: string;
  jobNamespace: string;
  jobUid: string;
  /** Built-in job name or module path. */
  jobEntry: string;
  jobConfig: JsonValue;
  subtask: number;
  parallelism: number;
  maxParallelism: number;
  attempt: number;
  podName: string;
  podNamespace: string;
  /** `host:port` of every worker in subtask order. */
  peers: string[];
  dataPort: number;
  /** Object storage; `sessionToken` is set with STS credentials (docs/security.md "Per-job storage credentials"). */
  storage: {
    endpoint: string;
    bucket: string;
    prefix: string;
    accessKey: string;
    secretKey: string;
    sessionToken?: string;
    /** Mounted credentials Secret, re-read when its files change (io/credential-files.ts). */
    credentialsDir?: string;
  };
  /**
   * Snapshot directory to restore from, or undefined. Given as an object-key prefix in the job's
   * bucket, or as `s3://<bucket>/<prefix>` (e.g. a savepoint in another bucket).
   */
  restoreFrom: { bucket: string | undefined; path: string } | undefined;
  allowNonRestoredState: boolean;
  controlMode: 'pod' | 'local';
  /** Local control port (0 = any). */
  controlPort: number;
  /** Health endpoint port (0 = none). */
  healthPort: number;
  /** Per-attempt shuffle token ('' when unset); a secret, never logged. */
  shuffleToken: string;
  /**
   * The job's snapshot key (SLUICE_SNAPSHOT_KEY as UTF-8 bytes), verifying the MAC of the job's
   * own `_metadata` on restore; undefined when unset (local runs). A secret, never logged.
   */
  snapshotKey: Buffer | undefined;
  /** The operator's checkpoint interval and timeout (ms); undefined when not given (local runs). */
  checkpoint: { intervalMs: number; timeoutMs: number } | undefined;
  /** The keyed-state backend (docs/state.md). */
  state: StateBackendConfig;
}

/**
 * The keyed-state backend: the JS heap, or a local RocksDB per stage under `dir` with a native
 * memory budget of `memoryBytes` (split as in state/rocksdb/memory-options.ts).
 */
export type StateBackendConfig =
  { backend: 'heap' } | { backend: 'rocksdb'; dir: string; memoryBytes: number; incremental: boolean };

/** RocksDB memory budget when SLUICE_STATE_MEMORY_BYTES is unset (local runs), bytes: 128 MiB. */
export const DEFAULT_STATE_MEMORY_BYTES = 128 * 1024 * 1024;

type Env = Record<string, string | undefined>;

function req(env: Env, name: string): string {
  const v = env[name];
  if (v === undefined || v === '') throw new ConfigError(`environment variable ${name} is required`);
  return v;
}

function int(env: Env, name: string, dflt?: number, min = 0): number {
  const v = env[name];
  if (v === undefined || v === '') {
    if (dflt === undefined) throw new ConfigError(`environment variable ${name} is required`);
    return dflt;
  }
  if (!/^-?\d+$/.test(v.trim()) || Number(v) < min) {
    throw new ConfigError(`environment variable ${name}=${JSON.stringify(v)} is not an integer ≥ ${min}`);
  }
  return Number(v);
}

/**
 * Reads and validates the worker configuration.
 * @throws ConfigError naming the variable that is missing or invalid
 */
export function readWorkerConfig(env: Env): WorkerConfig {
  const jobName = req(env, ENV.jobName);
  const jobNamespace = env[ENV.jobNamespace] || 'default';
  const parallelism = int(env, ENV.parallelism, undefined, 1);
  const maxParallelism = int(env, ENV.maxParallelism, 128, 1);
  try {
    checkParallelism(maxParallelism, parallelism);
  } catch (err) {
    throw new ConfigError(`${ENV.parallelism}/${ENV.maxParallelism}: ${(err as Error).message}`);
  }
  const subtask = int(env, ENV.subtaskIndex);
  if (subtask >= parallelism) {
    throw new ConfigError(`${ENV.subtaskIndex}=${subtask} must be below ${ENV.parallelism}=${parallelism}`);
  }
  const attempt = int(env, ENV.attempt, 0);
  const dataPort = int(env, ENV.dataPort, DEFAULT_DATA_PORT);
  let jobConfig: JsonValue = {};
  const rawConfig = env[ENV.jobConfig];
  if (rawConfig) {
    try {
      jobConfig = JSON.parse(rawConfig) as JsonValue;
    } catch (err) {
      throw new ConfigError(`${ENV.jobConfig} is not valid JSON: ${(err as Error).message}`);
    }
  }
  let peers: string[];
  if (env[ENV.peers]) {
    peers = env[ENV.peers]!.split(',').map((s) => s.trim());
    if (peers.length !== parallelism || peers.some((p) => !/^[^:\s]+:\d+$/.test(p))) {
      throw new ConfigError(
        `${ENV.peers} must list ${parallelism} host:port entries in subtask order, got ${JSON.stringify(env[ENV.peers])}`,
      );
    }
  } else if (parallelism === 1) {
    peers = [`127.0.0.1:${dataPort}`];
  } else {
    const service = req(env, ENV.peerService);
    peers = Array.from(
      { length: parallelism },
      (_, i) => `${workerPeerHost(workerPodName(jobName, attempt, i), service, jobNamespace)}:${dataPort}`,
    );
  }
  const controlMode = (env[ENV.controlMode] || 'pod') as WorkerConfig['controlMode'];
  if (controlMode !== 'pod' && controlMode !== 'local') {
    throw new ConfigError(
      `${ENV.controlMode} must be pod or local, got ${JSON.stringify(env[ENV.controlMode])}`,
    );
  }
  const podName = env[ENV.podName] || workerPodName(jobName, attempt, subtask);
  let restoreFrom: WorkerConfig['restoreFrom'];
  const rawRestore = (env[ENV.restoreFrom] ?? '').trim().replace(/\/+$/, '');
  if (rawRestore.startsWith('s3://')) {
    const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(rawRestore);
    if (!m)
      throw new ConfigError(
        `${ENV.restoreFrom}=${JSON.stringify(rawRestore)} is not s3://<bucket>/<snapshot directory>`,
      );
    restoreFrom = { bucket: m[1], path: m[2]! };
  } else if (rawRestore) {
    restoreFrom = { bucket: undefined, path: rawRestore.replace(/^\/+/, '') };
  }
  return {
    jobName,
    jobNamespace,
    jobUid: env[ENV.jobUid] || jobName,
    jobEntry: req(env, ENV.jobEntry),
    jobConfig,
    subtask,
    parallelism,
    maxParallelism,
    attempt,
    podName,
    podNamespace: env[ENV.podNamespace] || jobNamespace,
    peers,
    dataPort,
    storage: {
      endpoint: req(env, ENV.storageEndpoint),
      bucket: req(env, ENV.storageBucket),
      prefix: (env[ENV.storagePrefix] ?? '').replace(/\/+$/, ''),
      accessKey: req(env, ENV.storageAccessKey),
      secretKey: req(env, ENV.storageSecretKey),
      ...(env[ENV.storageSessionToken] ? { sessionToken: env[ENV.storageSessionToken] } : {}),
      ...(env[ENV.storageCredentialsDir] ? { credentialsDir: env[ENV.storageCredentialsDir] } : {}),
    },
    restoreFrom,
    allowNonRestoredState: /^(1|true|yes)$/i.test(env[ENV.allowNonRestoredState] ?? ''),
    controlMode,
    controlPort: int(env, ENV.controlPort, 0),
    healthPort: int(env, ENV.healthPort, 0),
    shuffleToken: env[ENV.shuffleToken] ?? '',
    snapshotKey: snapshotKeyOf(env),
    checkpoint: checkpointTiming(env),
    state: stateBackend(env),
  };
}

/**
 * SLUICE_STATE_BACKEND (heap | rocksdb, default heap) and, for rocksdb, SLUICE_STATE_DIR
 * (required), SLUICE_STATE_MEMORY_BYTES (default DEFAULT_STATE_MEMORY_BYTES) and
 * SLUICE_STATE_INCREMENTAL (true | false, default true).
 * @throws ConfigError on an unknown backend, rocksdb without a directory, or an invalid value
 */
function stateBackend(env: Env): StateBackendConfig {
  const kind = (env[ENV.stateBackend] ?? '').trim() || 'heap';
  if (kind === 'heap') return { backend: 'heap' };
  if (kind !== 'rocksdb') {
    throw new ConfigError(`${ENV.stateBackend} must be heap or rocksdb, got ${JSON.stringify(kind)}`);
  }
  const dir = (env[ENV.stateDir] ?? '').trim();
  if (!dir) {
    throw new ConfigError(
      `${ENV.stateBackend}=rocksdb needs ${ENV.stateDir}, a directory for the local state (an emptyDir or volume mount)`,
    );
  }
  const inc = (env[ENV.stateIncremental] ?? '').trim().toLowerCase() || 'true';
  if (inc !== 'true' && inc !== 'false') {
    throw new ConfigError(`${ENV.stateIncremental} must be true or false, got ${JSON.stringify(inc)}`);
  }
  return {
    backend: 'rocksdb',
    dir,
    memoryBytes: int(env, ENV.stateMemoryBytes, DEFAULT_STATE_MEMORY_BYTES, MIN_MEMORY_BYTES),
    incremental: inc === 'true',
  };
}

/**
 * SLUICE_CHECKPOINT_INTERVAL_MS and SLUICE_CHECKPOINT_TIMEOUT_MS, both or neither.
 * @throws ConfigError when only one is set or either is not a positive integer
 */
function checkpointTiming(env: Env): WorkerConfig['checkpoint'] {
  const given = [ENV.checkpointIntervalMs, ENV.checkpointTimeoutMs].filter((n) => env[n]);
  if (given.length === 0) return undefined;
  if (given.length === 1)
    throw new ConfigError(
      `${ENV.checkpointIntervalMs} and ${ENV.checkpointTimeoutMs} go together; only ${given[0]} is set`,
    );
  return {
    intervalMs: int(env, ENV.checkpointIntervalMs, undefined, 1),
    timeoutMs: int(env, ENV.checkpointTimeoutMs, undefined, 1),
  };
}

function snapshotKeyOf(env: Env): Buffer | undefined {
  const v = env[ENV.snapshotKey];
  if (v === undefined || v === '') return undefined;
  try {
    return snapshotKeyBytes(v, ENV.snapshotKey);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
}

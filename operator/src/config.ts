/**
 * Operator configuration from command-line flags and environment variables (a flag wins over
 * its variable, a variable over the default). Every setting is listed in {@link SETTINGS}, which
 * also renders `--help`; docs/operator.md documents the same table (a unit test keeps them in
 * sync).
 */
import { randomBytes } from 'node:crypto';
import type { ElectionTiming } from './kube/leader-election.ts';
import { validateTiming } from './kube/leader-election.ts';
import type { RateLimitOptions } from './kube/rate-limiter.ts';
import type { WorkerSettings } from './streamjob/desired-state.ts';
import { NODE_LOSS_POLICIES, type NodeLossPolicy } from './streamjob/node-loss.ts';
import type { StorageDefaults } from './streamjob/storage.ts';

import { LOG_LEVELS, SETTINGS, type LogLevel, type Setting } from './settings.ts';

/** The operator's configuration. Durations in milliseconds. */
export interface OperatorConfig {
  /** kubeconfig file; undefined: $KUBECONFIG, ~/.kube/config or in-cluster. */
  kubeconfig?: string;
  /** Namespaces whose StreamJobs are reconciled; empty: all namespaces. */
  namespaces: string[];
  leaderElection: { enabled: boolean; namespace: string; leaseName: string; timing: ElectionTiming };
  /** Holder identity in the Lease and reportingInstance of Events; unique per process. */
  identity: string;
  /** Address of /metrics, /healthz and /readyz. Port 0 picks a free port. */
  http: { host: string; port: number };
  logLevel: LogLevel;
  maxConcurrentReconciles: number;
  resyncPeriodMs: number;
  retry: RateLimitOptions;
  shutdownTimeoutMs: number;
  /** Deadline of one reconcile, ms: past it the reconcile's signal aborts and its worker moves on. */
  reconcileTimeoutMs: number;
  /** Deadline of one Kubernetes API request (not watches), ms (kube/request-timeout.ts). */
  apiTimeoutMs: number;
  /** Deadline of one S3 call of the operator (and of silence on its connection), ms. */
  storageTimeoutMs: number;
  /** Lifetime of minted per-job storage credentials, ms (≥ 15 min; docs/security.md). */
  storageCredentialsDurationMs: number;
  storage: StorageDefaults;
  worker: WorkerSettings;
  /** Write each job's worker NetworkPolicy (streamjob/network-policy.ts). */
  workerNetworkPolicy: boolean;
  /** Lost-node handling (docs/checkpointing.md "Lost nodes and fencing"). */
  nodeLoss: { policy: NodeLossPolicy; leaseGraceMs: number };
}

/** Invalid configuration; `problems` lists every bad setting. */
export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid operator configuration:\n  ${problems.join('\n  ')}\n(see --help or docs/operator.md)`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/**
 * Parses a duration like `500ms`, `15s`, `2m`, `1h` or `1m30s` into milliseconds.
 * @returns undefined when `text` is not such a duration.
 */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(s)) return undefined;
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) total += Number(m[1]) * unit[m[2]!]!;
  return Math.round(total);
}

/** Facts from the process's surroundings used for defaults. */
export interface Environment {
  env: Record<string, string | undefined>;
  hostname: string;
  /** The in-cluster namespace (service account namespace file), if running in a pod. */
  inClusterNamespace?: string;
}

/** Text of `--help`. */
export function helpText(): string {
  const rows = SETTINGS.map(
    (s) =>
      `  ${`${s.flag}${s.kind === 'bool' ? '[=true|false]' : '=VALUE'}`.padEnd(44)} ${s.env}\n      ${s.description}${s.default ? ` (default ${s.default})` : ''}`,
  );
  return `Usage: node operator.mjs [flags]      (the image; from a checkout: node operator/src/main.ts)\n\nEvery flag can also be set through the environment variable shown.\n\n${rows.join('\n')}\n`;
}

/**
 * Reads the configuration from `argv` (flags after the script) and the environment.
 * @throws ConfigError naming every unknown flag and invalid value (durations like 15s; integers;
 *   booleans true/false; leader-election timing that violates lease > renew > 1.2 × retry).
 */
export function loadConfig(argv: readonly string[], environment: Environment): OperatorConfig {
  const problems: string[] = [];
  const byFlag = new Map(SETTINGS.map((s) => [s.flag, s]));
  const raw = new Map<string, string>();
  for (const s of SETTINGS) {
    const v = environment.env[s.env];
    if (v !== undefined) raw.set(s.key, v);
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const flag = eq >= 0 ? arg.slice(0, eq) : arg;
    const s = byFlag.get(flag);
    if (!s) {
      problems.push(`unknown flag ${flag}`);
      continue;
    }
    if (eq >= 0) raw.set(s.key, arg.slice(eq + 1));
    else if (s.kind === 'bool') raw.set(s.key, 'true');
    else if (i + 1 < argv.length) raw.set(s.key, argv[++i]!);
    else problems.push(`flag ${flag} needs a value`);
  }

  const get = (key: string): { s: Setting; v: string } => {
    const s = SETTINGS.find((x) => x.key === key)!;
    return { s, v: raw.get(key) ?? s.default };
  };
  const str = (key: string) => get(key).v.trim();
  const int = (key: string, min: number, max: number): number => {
    const { s, v } = get(key);
    const n = Number(v);
    if (!/^\d+$/.test(v.trim()) || n < min || n > max) {
      problems.push(`${s.flag} / ${s.env} must be an integer in ${min}..${max} (got ${JSON.stringify(v)})`);
      return Number(s.default);
    }
    return n;
  };
  const dur = (key: string): number => {
    const { s, v } = get(key);
    const ms = parseDuration(v);
    if (ms === undefined || ms <= 0) {
      problems.push(
        `${s.flag} / ${s.env} must be a positive duration like 500ms, 15s, 2m (got ${JSON.stringify(v)})`,
      );
      return parseDuration(s.default)!;
    }
    return ms;
  };
  const bool = (key: string): boolean => {
    const { s, v } = get(key);
    if (!/^(true|false)$/i.test(v.trim())) {
      problems.push(`${s.flag} / ${s.env} must be true or false (got ${JSON.stringify(v)})`);
      return s.default === 'true';
    }
    return v.trim().toLowerCase() === 'true';
  };

  const env = environment.env;
  const leaseNamespace =
    str('leaseNamespace') || env.POD_NAMESPACE || environment.inClusterNamespace || 'sluice-system';
  const timing: ElectionTiming = {
    leaseDurationMs: dur('leaseDuration'),
    renewDeadlineMs: dur('renewDeadline'),
    retryPeriodMs: dur('retryPeriod'),
  };
  const leaderElect = bool('leaderElect');
  if (leaderElect) {
    try {
      validateTiming(timing);
    } catch (err) {
      problems.push(`leader election timing: ${(err as Error).message}`);
    }
  }
  const logLevel = str('logLevel') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel))
    problems.push(
      `--log-level / SLUICE_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got ${JSON.stringify(logLevel)})`,
    );
  const namespaces = str('namespaces')
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  for (const ns of namespaces) {
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(ns))
      problems.push(`--watch-namespaces: ${JSON.stringify(ns)} is not a namespace name`);
  }
  const endpoint = str('storageEndpoint');
  if (endpoint && !/^https?:\/\/[^\s/]+\/?$/.test(endpoint)) {
    problems.push(
      `--storage-endpoint / SLUICE_STORAGE_ENDPOINT must be http(s)://host[:port] (got ${JSON.stringify(endpoint)})`,
    );
  }
  const nodeLoss = str('nodeLoss') as NodeLossPolicy;
  if (!NODE_LOSS_POLICIES.includes(nodeLoss))
    problems.push(
      `--node-loss / SLUICE_NODE_LOSS must be one of ${NODE_LOSS_POLICIES.join(', ')} (got ${JSON.stringify(nodeLoss)})`,
    );
  const retryBase = dur('retryBaseDelay');
  const retryMax = dur('retryMaxDelay');
  if (retryMax < retryBase) problems.push('--retry-max-delay must not be smaller than --retry-base-delay');
  if (dur('reconcileTimeout') < 1000) problems.push('--reconcile-timeout must be at least 1s');
  if (dur('storageTimeout') < 100) problems.push('--storage-timeout must be at least 100ms');
  // STS (AWS and MinIO) accepts DurationSeconds from 900.
  if (dur('storageCredentialsDuration') < 900_000)
    problems.push('--storage-credentials-duration must be at least 15m (STS accepts 900 s and up)');
  if (dur('storageTimeout') >= dur('reconcileTimeout'))
    problems.push('--storage-timeout must be shorter than --reconcile-timeout');

  const config: OperatorConfig = {
    kubeconfig: str('kubeconfig') || undefined,
    namespaces: [...new Set(namespaces)],
    leaderElection: { enabled: leaderElect, namespace: leaseNamespace, leaseName: str('leaseName'), timing },
    identity: str('identity') || `${env.POD_NAME || environment.hostname}_${randomBytes(4).toString('hex')}`,
    http: { host: str('httpHost'), port: int('httpPort', 0, 65535) },
    logLevel,
    maxConcurrentReconciles: int('maxConcurrentReconciles', 1, 1000),
    resyncPeriodMs: dur('resyncPeriod'),
    retry: {
      baseDelayMs: retryBase,
      maxDelayMs: retryMax,
      ratePerSecond: int('retryRate', 1, 100_000),
      burst: int('retryBurst', 1, 100_000),
    },
    shutdownTimeoutMs: dur('shutdownTimeout'),
    reconcileTimeoutMs: dur('reconcileTimeout'),
    apiTimeoutMs: dur('apiTimeout'),
    storageTimeoutMs: dur('storageTimeout'),
    storageCredentialsDurationMs: dur('storageCredentialsDuration'),
    storage: {
      endpoint: endpoint.replace(/\/$/, '') || undefined,
      bucket: str('storageBucket') || undefined,
      prefix: str('storagePrefix'),
      credentialsSecret: str('storageSecret') || undefined,
      credentialsNamespace: str('storageSecretNamespace') || leaseNamespace,
    },
    worker: {
      runAsUser: int('workerRunAsUser', 1, 2_147_483_647),
      runAsGroup: int('workerRunAsGroup', 0, 2_147_483_647),
      dataPort: int('workerDataPort', 1, 65535),
    },
    workerNetworkPolicy: bool('workerNetworkPolicy'),
    nodeLoss: { policy: nodeLoss, leaseGraceMs: dur('nodeLeaseGrace') },
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

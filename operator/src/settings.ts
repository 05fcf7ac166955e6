/**
 * Every operator setting: flag, environment variable, kind, default and meaning, in
 * documentation order. config.ts parses them and renders `--help` from this table;
 * docs/operator.md "Configuration" documents the same table (config.test.ts keeps them in sync).
 */
import { DEFAULT_DATA_PORT } from '@sluice/api/protocol.ts';

/** pino's log levels. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** How a setting's text is parsed. */
export type Kind = 'string' | 'bool' | 'int' | 'duration' | 'list';

/** One setting: its flag, environment variable, kind, default and meaning. */
export interface Setting {
  key: string;
  flag: string;
  env: string;
  kind: Kind;
  /** Default as written on the command line ('' for none). */
  default: string;
  description: string;
}

/** Every setting, in documentation order. */
export const SETTINGS: readonly Setting[] = [
  {
    key: 'kubeconfig',
    flag: '--kubeconfig',
    env: 'SLUICE_KUBECONFIG',
    kind: 'string',
    default: '',
    description: 'kubeconfig file; empty: $KUBECONFIG, ~/.kube/config, or the in-cluster service account',
  },
  {
    key: 'namespaces',
    flag: '--watch-namespaces',
    env: 'SLUICE_WATCH_NAMESPACES',
    kind: 'list',
    default: '',
    description: 'comma-separated namespaces to reconcile; empty: all namespaces',
  },
  {
    key: 'leaderElect',
    flag: '--leader-elect',
    env: 'SLUICE_LEADER_ELECTION',
    kind: 'bool',
    default: 'true',
    description: 'run leader election so that only one replica reconciles',
  },
  {
    key: 'leaseNamespace',
    flag: '--leader-election-namespace',
    env: 'SLUICE_LEADER_ELECTION_NAMESPACE',
    kind: 'string',
    default: '',
    description: 'namespace of the Lease; empty: $POD_NAMESPACE, the in-cluster namespace, or sluice-system',
  },
  {
    key: 'leaseName',
    flag: '--lease-name',
    env: 'SLUICE_LEASE_NAME',
    kind: 'string',
    default: 'sluice-operator',
    description: 'name of the coordination.k8s.io Lease',
  },
  {
    key: 'leaseDuration',
    flag: '--lease-duration',
    env: 'SLUICE_LEASE_DURATION',
    kind: 'duration',
    default: '15s',
    description: 'how long standbys wait after the last renewal before taking over',
  },
  {
    key: 'renewDeadline',
    flag: '--renew-deadline',
    env: 'SLUICE_RENEW_DEADLINE',
    kind: 'duration',
    default: '10s',
    description: 'how long the leader retries renewing before it exits',
  },
  {
    key: 'retryPeriod',
    flag: '--retry-period',
    env: 'SLUICE_RETRY_PERIOD',
    kind: 'duration',
    default: '2s',
    description: 'interval of acquire and renew attempts',
  },
  {
    key: 'identity',
    flag: '--identity',
    env: 'SLUICE_IDENTITY',
    kind: 'string',
    default: '',
    description: 'leader-election identity; empty: <$POD_NAME or hostname>_<random>',
  },
  {
    key: 'httpHost',
    flag: '--http-host',
    env: 'SLUICE_HTTP_HOST',
    kind: 'string',
    default: '0.0.0.0',
    description: 'listen address of /metrics, /healthz and /readyz',
  },
  {
    key: 'httpPort',
    flag: '--http-port',
    env: 'SLUICE_HTTP_PORT',
    kind: 'int',
    default: '8080',
    description: 'listen port of /metrics, /healthz and /readyz (0: any free port)',
  },
  {
    key: 'logLevel',
    flag: '--log-level',
    env: 'SLUICE_LOG_LEVEL',
    kind: 'string',
    default: 'info',
    description: `one of ${LOG_LEVELS.join(', ')}`,
  },
  {
    key: 'maxConcurrentReconciles',
    flag: '--max-concurrent-reconciles',
    env: 'SLUICE_MAX_CONCURRENT_RECONCILES',
    kind: 'int',
    default: '4',
    description: 'StreamJobs reconciled at the same time',
  },
  {
    key: 'resyncPeriod',
    flag: '--resync-period',
    env: 'SLUICE_RESYNC_PERIOD',
    kind: 'duration',
    default: '10m',
    description: 'every job is reconciled at least this often',
  },
  {
    key: 'retryBaseDelay',
    flag: '--retry-base-delay',
    env: 'SLUICE_RETRY_BASE_DELAY',
    kind: 'duration',
    default: '100ms',
    description: 'first retry delay of a failed reconcile (doubles per failure)',
  },
  {
    key: 'retryMaxDelay',
    flag: '--retry-max-delay',
    env: 'SLUICE_RETRY_MAX_DELAY',
    kind: 'duration',
    default: '5m',
    description: 'largest retry delay of a failed reconcile',
  },
  {
    key: 'retryRate',
    flag: '--retry-rate',
    env: 'SLUICE_RETRY_RATE',
    kind: 'int',
    default: '10',
    description: 'retries per second across all jobs (token bucket)',
  },
  {
    key: 'retryBurst',
    flag: '--retry-burst',
    env: 'SLUICE_RETRY_BURST',
    kind: 'int',
    default: '100',
    description: 'retries allowed in a burst above that rate',
  },
  {
    key: 'shutdownTimeout',
    flag: '--shutdown-timeout',
    env: 'SLUICE_SHUTDOWN_TIMEOUT',
    kind: 'duration',
    default: '20s',
    description: 'how long SIGTERM waits for running reconciles',
  },
  {
    key: 'reconcileTimeout',
    flag: '--reconcile-timeout',
    env: 'SLUICE_RECONCILE_TIMEOUT',
    kind: 'duration',
    default: '1m',
    description: 'deadline of one reconcile; past it the reconcile is abandoned and retried with backoff',
  },
  {
    key: 'apiTimeout',
    flag: '--api-timeout',
    env: 'SLUICE_API_TIMEOUT',
    kind: 'duration',
    default: '30s',
    description: 'deadline of one Kubernetes API request of the operator (watches excepted)',
  },
  {
    key: 'storageTimeout',
    flag: '--storage-timeout',
    env: 'SLUICE_STORAGE_TIMEOUT',
    kind: 'duration',
    default: '10s',
    description: 'deadline of one S3 call of the operator (checkpoint metadata, listing, retention)',
  },
  {
    key: 'storageEndpoint',
    flag: '--storage-endpoint',
    env: 'SLUICE_STORAGE_ENDPOINT',
    kind: 'string',
    default: '',
    description: 'default S3 endpoint URL of jobs without spec.storage.endpoint',
  },
  {
    key: 'storageBucket',
    flag: '--storage-bucket',
    env: 'SLUICE_STORAGE_BUCKET',
    kind: 'string',
    default: '',
    description: 'default bucket',
  },
  {
    key: 'storagePrefix',
    flag: '--storage-prefix',
    env: 'SLUICE_STORAGE_PREFIX',
    kind: 'string',
    default: '',
    description: 'default key prefix',
  },
  {
    key: 'storageSecret',
    flag: '--storage-credentials-secret',
    env: 'SLUICE_STORAGE_CREDENTIALS_SECRET',
    kind: 'string',
    default: '',
    description:
      'Secret (keys accessKey, secretKey) with which the operator mints per-job STS credentials for jobs without spec.storage.credentialsSecret',
  },
  {
    key: 'storageCredentialsDuration',
    flag: '--storage-credentials-duration',
    env: 'SLUICE_STORAGE_CREDENTIALS_DURATION',
    kind: 'duration',
    default: '12h',
    description: 'lifetime of minted per-job storage credentials (at least 15m); renewed at half-life',
  },
  {
    key: 'storageSecretNamespace',
    flag: '--storage-credentials-namespace',
    env: 'SLUICE_STORAGE_CREDENTIALS_NAMESPACE',
    kind: 'string',
    default: '',
    description: 'namespace of that Secret; empty: the leader-election namespace',
  },
  {
    key: 'workerRunAsUser',
    flag: '--worker-run-as-user',
    env: 'SLUICE_WORKER_RUN_AS_USER',
    kind: 'int',
    default: '65532',
    description: 'default uid of worker processes (non-root)',
  },
  {
    key: 'workerRunAsGroup',
    flag: '--worker-run-as-group',
    env: 'SLUICE_WORKER_RUN_AS_GROUP',
    kind: 'int',
    default: '65532',
    description: 'default gid of worker processes',
  },
  {
    key: 'workerDataPort',
    flag: '--worker-data-port',
    env: 'SLUICE_WORKER_DATA_PORT',
    kind: 'int',
    default: String(DEFAULT_DATA_PORT),
    description: "TCP port of the workers' shuffle listener",
  },
  {
    key: 'workerNetworkPolicy',
    flag: '--worker-network-policy',
    env: 'SLUICE_WORKER_NETWORK_POLICY',
    kind: 'bool',
    default: 'true',
    description:
      "write a NetworkPolicy per job that admits the workers' data port only from the same job's workers (needs an enforcing network plugin)",
  },
  {
    key: 'nodeLoss',
    flag: '--node-loss',
    env: 'SLUICE_NODE_LOSS',
    kind: 'string',
    default: 'force-delete',
    description:
      'lost nodes: force-delete (fail their workers, force-delete old pods there, keep new pods off them), detect (the same without force-deleting) or off (no node watch)',
  },
  {
    key: 'nodeLeaseGrace',
    flag: '--node-lease-grace',
    env: 'SLUICE_NODE_LEASE_GRACE',
    kind: 'duration',
    default: '20s',
    description: 'a node whose kubelet heartbeat Lease is older than this is lost (kubelets renew every 10s)',
  },
];

/**
 * Support for the operator's integration tests (test/integration/operator-*.test.ts) on the
 * harness's real kube-apiserver + MinIO: running the operator in-process or as real child
 * processes, waiting for conditions, reading jobs, Events and metrics.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CoreV1Api,
  CustomObjectsApi,
  EventsV1Api,
  KubeConfig,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
  type EventsV1Event,
  type V1PolicyRule,
} from '@kubernetes/client-node';
import { pino } from 'pino';
import { parse, parseAllDocuments } from 'yaml';
import { Registry } from 'prom-client';
import {
  STREAMJOB_GROUP,
  STREAMJOB_PLURAL,
  STREAMJOB_VERSION,
  type StreamJob,
} from '@sluice/api/streamjob.ts';
import type { HarnessState } from './state.ts';
import { loadConfig, type OperatorConfig } from '../../operator/src/config.ts';
import { systemClock } from '../../operator/src/kube/clock.ts';
import { Manager } from '../../operator/src/manager.ts';

/** Repository root. */
export const REPO_ROOT = join(import.meta.dirname, '..', '..');

/**
 * Polls `probe` every `intervalMs` until it returns a value other than undefined/false.
 * @throws Error naming `what` and the last probe error when `timeoutMs` passes.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 30_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** `code: message` of a failed client-node call (the API server's Status message). */
export function apiMessage(err: unknown): string {
  const e = err as { code?: number; body?: unknown; message?: string };
  const body =
    typeof e.body === 'string'
      ? (JSON.parse(e.body) as { message?: string })
      : (e.body as { message?: string } | undefined);
  return `${e.code}: ${body?.message ?? e.message ?? String(err)}`;
}

/** The StreamJob manifest in examples/<file>, as an object. */
export function exampleJob(
  file: string,
): StreamJob & { apiVersion: string; kind: string; metadata: { name: string } } {
  return parse(readFileSync(join(REPO_ROOT, 'examples', file), 'utf8')) as StreamJob & {
    apiVersion: string;
    kind: string;
    metadata: { name: string };
  };
}

/** Typed access to StreamJobs in one namespace. */
export class Jobs {
  readonly #api: CustomObjectsApi;
  readonly #namespace: string;

  constructor(kubeConfig: KubeConfig, namespace: string) {
    this.#api = kubeConfig.makeApiClient(CustomObjectsApi);
    this.#namespace = namespace;
  }

  #common() {
    return {
      group: STREAMJOB_GROUP,
      version: STREAMJOB_VERSION,
      plural: STREAMJOB_PLURAL,
      namespace: this.#namespace,
    };
  }

  async create(job: object): Promise<StreamJob> {
    return (await this.#api.createNamespacedCustomObject({ ...this.#common(), body: job })) as StreamJob;
  }

  async get(name: string): Promise<StreamJob> {
    return (await this.#api.getNamespacedCustomObject({ ...this.#common(), name })) as StreamJob;
  }

  /** JSON-patches the job (client-node's default patch type). */
  async jsonPatch(
    name: string,
    ops: Array<{ op: string; path: string; value?: unknown }>,
  ): Promise<StreamJob> {
    return (await this.#api.patchNamespacedCustomObject({ ...this.#common(), name, body: ops })) as StreamJob;
  }

  /** JSON-patches the status subresource. */
  async jsonPatchStatus(
    name: string,
    ops: Array<{ op: string; path: string; value?: unknown }>,
  ): Promise<StreamJob> {
    return (await this.#api.patchNamespacedCustomObjectStatus({
      ...this.#common(),
      name,
      body: ops,
    })) as StreamJob;
  }

  /** JSON-merge-patches the job. */
  async mergePatch(name: string, patch: object): Promise<StreamJob> {
    return (await this.#api.patchNamespacedCustomObject(
      { ...this.#common(), name, body: patch },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    )) as StreamJob;
  }

  /** Sets one annotation. */
  annotate(name: string, key: string, value: string): Promise<StreamJob> {
    return this.mergePatch(name, { metadata: { annotations: { [key]: value } } });
  }

  async delete(name: string): Promise<void> {
    await this.#api.deleteNamespacedCustomObject({ ...this.#common(), name });
  }
}

/** The Events in `namespace` about object `name`, oldest first. */
export async function eventsAbout(
  kubeConfig: KubeConfig,
  namespace: string,
  name: string,
): Promise<EventsV1Event[]> {
  const list = await kubeConfig.makeApiClient(EventsV1Api).listNamespacedEvent({ namespace });
  return list.items
    .filter((e) => e.regarding?.name === name)
    .sort((a, b) => new Date(a.eventTime ?? 0).getTime() - new Date(b.eventTime ?? 0).getTime());
}

/**
 * The Events about `name` once Events with every reason in `reasons` exist (Events are written
 * asynchronously, after the status that caused them).
 */
export function eventsWith(
  kubeConfig: KubeConfig,
  namespace: string,
  name: string,
  reasons: string[],
): Promise<EventsV1Event[]> {
  return waitFor(`Events ${reasons.join(', ')} about ${namespace}/${name}`, async () => {
    const events = await eventsAbout(kubeConfig, namespace, name);
    const seen = new Set(events.map((e) => e.reason));
    return reasons.every((r) => seen.has(r)) && events;
  });
}

/** Creates the Secret `name` with the harness MinIO's credentials (keys accessKey, secretKey). */
export async function createStorageSecret(
  kubeConfig: KubeConfig,
  namespace: string,
  name: string,
  state: HarnessState,
): Promise<void> {
  await kubeConfig.makeApiClient(CoreV1Api).createNamespacedSecret({
    namespace,
    body: {
      metadata: { name, namespace },
      stringData: { accessKey: state.minio.accessKey, secretKey: state.minio.secretKey },
    },
  });
}

/** Environment variables configuring an operator for a test namespace (storage on the harness MinIO). */
export function operatorEnv(opts: {
  namespace: string;
  bucket: string;
  state: HarnessState;
  secret: string;
  httpPort: number;
  identity?: string;
  leaderElection: boolean;
  extra?: Record<string, string>;
}): Record<string, string> {
  return {
    SLUICE_WATCH_NAMESPACES: opts.namespace,
    SLUICE_LEADER_ELECTION: String(opts.leaderElection),
    SLUICE_LEADER_ELECTION_NAMESPACE: opts.namespace,
    SLUICE_LEASE_NAME: 'sluice-operator',
    SLUICE_HTTP_HOST: '127.0.0.1',
    SLUICE_HTTP_PORT: String(opts.httpPort),
    SLUICE_STORAGE_ENDPOINT: opts.state.minio.url,
    SLUICE_STORAGE_BUCKET: opts.bucket,
    SLUICE_STORAGE_CREDENTIALS_SECRET: opts.secret,
    // Also how long the operator keeps what it read from a job's Secrets (secret-memo.ts): short,
    // so a test that edits one by hand sees the operator act on it within its wait.
    SLUICE_RESYNC_PERIOD: '20s',
    SLUICE_LOG_LEVEL: 'debug',
    ...(opts.identity ? { SLUICE_IDENTITY: opts.identity } : {}),
    ...(opts.extra ?? {}),
  };
}

/** An operator running inside the test process with real clients. */
export interface InProcessOperator {
  manager: Manager;
  registry: Registry;
  config: OperatorConfig;
  /** Base URL of its HTTP server. */
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts the operator's Manager in this process against the harness API server, watching
 * `namespace` only (unless `extraEnv` says otherwise), with leader election off and logs (JSON)
 * appended to `logFile`. The default credentials Secret is looked up in `namespace`.
 */
export async function startInProcessOperator(opts: {
  kubeConfig: KubeConfig;
  namespace: string;
  bucket: string;
  state: HarnessState;
  secret: string;
  logFile: string;
  extraEnv?: Record<string, string>;
}): Promise<InProcessOperator> {
  const env = operatorEnv({
    ...opts,
    httpPort: 0,
    leaderElection: false,
    identity: `in-process-${opts.namespace}`,
    extra: opts.extraEnv,
  });
  const config = loadConfig([], { env, hostname: 'test' });
  const log = pino({ level: 'debug' }, createWriteStream(opts.logFile, { flags: 'a' }));
  const registry = new Registry();
  const manager = new Manager({
    config,
    kubeConfig: opts.kubeConfig,
    log,
    registry,
    clock: systemClock,
    onLeadershipLost: () => {
      throw new Error('leadership lost with leader election disabled');
    },
  });
  await manager.start();
  return {
    manager,
    registry,
    config,
    url: `http://127.0.0.1:${manager.httpPort}`,
    stop: () => manager.stop(),
  };
}

/** The value of one sample of metric `name` with exactly `labels` (subset match), or undefined. */
export async function metricValue(
  url: string,
  name: string,
  labels: Record<string, string> = {},
): Promise<number | undefined> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let total: number | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const m = /^([^{ ]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries(
      [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) total = (total ?? 0) + Number(m[3]);
  }
  return total;
}

/**
 * Makes a least-privilege identity for operator processes: a ServiceAccount in `namespace`
 * bound to the rules of operator/config/rbac/role.yaml (as a Role in `namespace`), plus a
 * kubeconfig file with a token of it.
 * @returns path of the kubeconfig file
 */
export async function operatorIdentity(
  admin: KubeConfig,
  namespace: string,
  state: HarnessState,
  dir: string,
): Promise<string> {
  const core = admin.makeApiClient(CoreV1Api);
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  const name = 'sluice-operator';
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name, namespace } } });
  // Both documents' rules as one Role: the test namespace is the job and the operator namespace.
  const text = readFileSync(join(REPO_ROOT, 'operator', 'config', 'rbac', 'role.yaml'), 'utf8');
  const rules = parseAllDocuments(text).flatMap((d) => (d.toJS() as { rules: V1PolicyRule[] }).rules);
  await rbac.createNamespacedRole({ namespace, body: { metadata: { name, namespace }, rules } });
  await rbac.createNamespacedRoleBinding({
    namespace,
    body: {
      metadata: { name, namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace }],
    },
  });
  const token = await core.createNamespacedServiceAccountToken({
    name,
    namespace,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const value = token.status?.token;
  if (!value) throw new Error(`TokenRequest for ServiceAccount ${namespace}/${name} returned no token`);
  return writeTokenKubeconfig(state, value, join(dir, `kubeconfig-${namespace}-${name}`));
}

/** Writes a kubeconfig for the harness API server authenticating with `token`; returns its path. */
export function writeTokenKubeconfig(state: HarnessState, token: string, path: string): string {
  writeFileSync(path, tokenKubeConfig(state, token).exportConfig(), { mode: 0o600 });
  return path;
}

/** A KubeConfig for the harness API server authenticating with a bearer `token`. */
export function tokenKubeConfig(state: HarnessState, token: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: 'sluice-test',
        server: state.controlPlane.server,
        caData: Buffer.from(state.controlPlane.caData).toString('base64'),
      },
    ],
    users: [{ name: 'token', token }],
    contexts: [{ name: 'sluice-test', cluster: 'sluice-test', user: 'token' }],
    currentContext: 'sluice-test',
  });
  return kc;
}

/** An operator child process (`node operator/src/main.ts`, or the bundle of operator/bundle.ts). */
export interface OperatorProcess {
  child: ChildProcess;
  url: string;
  logFile: string;
  /** Resolves with the exit code (or signal) once the process has exited. */
  exited: Promise<number | string>;
}

/**
 * Starts `node <entry>` with `env` added; stdout/stderr appended to `logFile`.
 * @param entry the operator's entry module: the sources (default) or a bundle built by
 *   operator/bundle.ts
 */
export function spawnOperator(
  env: Record<string, string>,
  logFile: string,
  kubeconfig: string,
  entry: string = join(REPO_ROOT, 'operator', 'src', 'main.ts'),
): OperatorProcess {
  const out = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(process.execPath, [entry, `--kubeconfig=${kubeconfig}`], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(out, { end: false });
  child.stderr?.pipe(out, { end: false });
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => {
      resolve(code ?? signal ?? 'unknown');
    }),
  );
  return { child, url: `http://127.0.0.1:${env.SLUICE_HTTP_PORT}`, logFile, exited };
}

/** Whether the operator behind `url` answers /readyz with 200. */
export async function isReady(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/readyz`)).ok;
  } catch {
    return false;
  }
}

/**
 * A kubelet stand-in that runs real workers: for every pod created in one namespace it launches
 * `node runtime-image/src/main.ts` as a local process with the pod's environment resolved the way
 * a kubelet would (values, `secretKeyRef` from the Secret, `fieldRef` from the pod), except that
 *
 *  - `SLUICE_PEERS` maps every pod of the pod's attempt to a loopback port (no cluster DNS) and
 *    `SLUICE_DATA_PORT` is the pod's own port;
 *  - `KUBECONFIG` carries a real token of the pod's ServiceAccount (TokenRequest API), so the
 *    worker's pod control watches and annotates its own pod on the real API server under the
 *    worker RBAC the operator created;
 *  - `SLUICE_HEALTH_PORT` is set so the stand-in can probe `/readyz` for the Ready condition;
 *  - `SLUICE_TERMINATION_LOG` names an empty file per pod that stands for the container's
 *    `/dev/termination-log`: what the worker wrote there becomes the terminated container's
 *    `message` (at most 4096 bytes, as the kubelet reads it);
 *  - a mounted Secret volume is a directory under `logDir` (secret-volume.ts) refreshed from the
 *    Secret about every second while the pod runs, as the kubelet's periodic sync does; an
 *    environment value under the volume's mount path is rewritten to that directory;
 *  - an `emptyDir` or generic `ephemeral` volume (e.g. a rocksdb worker's local-state volume,
 *    operator/src/streamjob/state-backend.ts) is a fresh empty directory
 *    `<logDir>/volumes/<pod>/<volume>` created at launch (no size limit, no claim); environment
 *    values under its mount path are rewritten to it the same way.
 *
 * It reports the process through `pods/status`: Running (not ready) once launched, Ready once
 * `/readyz` answers 200, Succeeded/Failed with the container's exit code when it exits. A pod
 * that disappears (deleted) or gets a deletionTimestamp has its process sent SIGTERM, as the
 * kubelet does. Pods are discovered by polling (every 100 ms), which is enough for tests.
 *
 * With `nodes` (simulated-nodes.ts) it also schedules: each new pod is bound to a node first,
 * and a deleted pod bound to a node is removed from the API (grace 0) once its process is gone,
 * as the node's kubelet confirms a deletion. For the pods of a lost node it does nothing at all
 * — no launch, no status, no deletion — and their processes are frozen (SIGSTOP) until the node
 * is restored (SIGCONT): a partitioned node whose workers may still run when it comes back.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type V1EnvVar,
  type V1Pod,
} from '@kubernetes/client-node';
import { ENV, workerPodName } from '@sluice/api/protocol.ts';
import { writeTokenKubeconfig } from './operator.ts';
import { podStatusFor, type ContainerReport } from './kubelet-standin.ts';
import { repoRoot as REPO_ROOT } from './paths.ts';
import { freePort } from './ports.ts';
import { SecretVolume } from './secret-volume.ts';
import type { SimulatedNodes } from './simulated-nodes.ts';
import type { HarnessState } from './state.ts';

const POLL_MS = 100;
/** The kubelet reads at most this many bytes of a termination message file. */
const TERMINATION_MESSAGE_MAX_BYTES = 4096;
const LABEL_JOB = 'sluice.dev/job';
const LABEL_ATTEMPT = 'sluice.dev/attempt';

/** One launched worker process. */
interface Running {
  pod: string;
  child: ChildProcess;
  /** Loopback port of the worker's /readyz. */
  healthPort: number;
  ready: boolean;
  exited: boolean;
  /** The pod's mounted Secret volumes. */
  volumes: SecretVolume[];
}

/** How often mounted Secret volumes are refreshed, ms. */
const SECRET_SYNC_MS = 1000;

/** Options of {@link ProcessKubelet}. */
export interface ProcessKubeletOptions {
  kubeConfig: KubeConfig;
  state: HarnessState;
  namespace: string;
  /** Directory for the workers' logs (`<pod>.log`) and kubeconfigs. */
  logDir: string;
  /** Nodes to bind pods to; unset: pods stay unscheduled (deleting one removes it at once). */
  nodes?: SimulatedNodes;
  /** API server URL the workers use (default the harness's; e.g. an outage-proxy.ts in front of it). */
  apiServer?: string;
}

/** See the module comment. */
export class ProcessKubelet {
  readonly #o: ProcessKubeletOptions;
  readonly #core: CoreV1Api;
  readonly #running = new Map<string, Running>();
  /** Loopback data port of every pod name seen (allocated when a peer list first names it). */
  readonly #ports = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #polling = false;
  #stopped = false;
  #secretsSyncedAt = 0;
  /** Errors while launching (reported by {@link errors}; tests may assert it stays empty). */
  readonly errors: string[] = [];

  constructor(options: ProcessKubeletOptions) {
    this.#o = options;
    this.#core = options.kubeConfig.makeApiClient(CoreV1Api);
    mkdirSync(options.logDir, { recursive: true });
  }

  /** Starts watching (polling) the namespace's pods. */
  start(): void {
    this.#timer = setInterval(() => void this.#poll(), POLL_MS);
  }

  /** Stops polling and kills every process it started (SIGKILL), waiting for them to exit. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await Promise.all([...this.#running.values()].map((r) => this.#killAndWait(r, 'SIGKILL')));
  }

  /** Sends `signal` to the process of `pod`. @throws Error when no process runs for it. */
  kill(pod: string, signal: NodeJS.Signals = 'SIGKILL'): void {
    const r = this.#running.get(pod);
    if (!r || r.exited) throw new Error(`no worker process runs for pod ${pod}`);
    r.child.kill(signal);
  }

  /** Loses `node` (heartbeat stops) and freezes the processes of its pods. */
  loseNode(node: string, nodeOf: (pod: string) => string | undefined): void {
    this.#o.nodes!.lose(node);
    for (const r of this.#running.values()) if (!r.exited && nodeOf(r.pod) === node) r.child.kill('SIGSTOP');
  }

  /** Restores `node`: its frozen processes run on, and the kubelet acts for its pods again. */
  restoreNode(node: string, nodeOf: (pod: string) => string | undefined): void {
    for (const r of this.#running.values()) if (!r.exited && nodeOf(r.pod) === node) r.child.kill('SIGCONT');
    this.#o.nodes!.restore(node);
  }

  /** Names of pods whose process is running. */
  runningPods(): string[] {
    return [...this.#running.values()].filter((r) => !r.exited).map((r) => r.pod);
  }

  async #killAndWait(r: Running, signal: NodeJS.Signals): Promise<void> {
    if (r.exited) return;
    const exited = new Promise<void>((resolve) => r.child.once('exit', () => resolve()));
    r.child.kill(signal);
    await exited;
  }

  async #port(pod: string): Promise<number> {
    let p = this.#ports.get(pod);
    if (p === undefined) {
      p = await freePort();
      this.#ports.set(pod, p);
    }
    return p;
  }

  async #poll(): Promise<void> {
    if (this.#polling || this.#stopped) return;
    this.#polling = true;
    try {
      const all = (await this.#core.listNamespacedPod({ namespace: this.#o.namespace })).items;
      const nodes = this.#o.nodes;
      // A lost node's kubelet does nothing for its pods.
      const pods = all.filter((p) => !nodes?.isLost(p.spec?.nodeName));
      const frozen = new Set(
        all.filter((p) => nodes?.isLost(p.spec?.nodeName)).map((p) => p.metadata!.name!),
      );
      const live = new Set<string>(frozen);
      for (const pod of pods) {
        const name = pod.metadata!.name!;
        if (pod.metadata?.deletionTimestamp) {
          const r = this.#running.get(name);
          if (nodes && pod.spec?.nodeName && (!r || r.exited))
            await this.#core
              .deleteNamespacedPod({ name, namespace: this.#o.namespace, gracePeriodSeconds: 0 })
              .catch(() => undefined);
          continue;
        }
        live.add(name);
        if (nodes && !pod.spec?.nodeName) {
          const node = nodes.pick(pod, all);
          if (node) {
            await nodes.bind(this.#o.namespace, name, node).catch(() => undefined);
            pod.spec!.nodeName = node; // the next pick of this poll counts it
          }
          continue; // launched on a later poll, once bound
        }
        if (!this.#running.has(name) && !pod.status?.phase?.match(/Succeeded|Failed/)) {
          await this.#launch(pod).catch((err: Error) =>
            this.errors.push(`launching ${name}: ${err.message}`),
          );
        }
      }
      for (const r of this.#running.values()) {
        if (!live.has(r.pod) && !r.exited) r.child.kill('SIGTERM');
      }
      if (Date.now() - this.#secretsSyncedAt >= SECRET_SYNC_MS) {
        this.#secretsSyncedAt = Date.now();
        for (const r of this.#running.values())
          if (!r.exited) for (const v of r.volumes) await v.sync().catch(() => undefined);
      }
      await Promise.all(
        [...this.#running.values()].filter((r) => !r.exited && !r.ready).map((r) => this.#probe(r)),
      );
    } catch (err) {
      if (!this.#stopped) this.errors.push(`polling pods: ${(err as Error).message}`);
    } finally {
      this.#polling = false;
    }
  }

  async #envOf(pod: V1Pod, vars: V1EnvVar[]): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    const secrets = new Map<string, Record<string, string>>();
    for (const v of vars) {
      if (v.value !== undefined) out[v.name] = v.value;
      else if (v.valueFrom?.secretKeyRef) {
        const { name, key, optional } = v.valueFrom.secretKeyRef;
        let data = secrets.get(name!);
        if (!data) {
          const s = await this.#core.readNamespacedSecret({ name: name!, namespace: this.#o.namespace });
          data = s.data ?? {};
          secrets.set(name!, data);
        }
        const b64 = data[key];
        // As the kubelet: an optional key that is missing leaves the variable unset.
        if (b64 === undefined && optional) continue;
        if (b64 === undefined) throw new Error(`Secret ${this.#o.namespace}/${name} has no key ${key}`);
        out[v.name] = Buffer.from(b64, 'base64').toString('utf8');
      } else if (v.valueFrom?.fieldRef) {
        const path = v.valueFrom.fieldRef.fieldPath;
        const value =
          path === 'metadata.name'
            ? pod.metadata?.name
            : path === 'metadata.namespace'
              ? pod.metadata?.namespace
              : path === 'metadata.uid'
                ? pod.metadata?.uid
                : undefined;
        if (value === undefined) throw new Error(`fieldRef ${path} is not supported by the process kubelet`);
        out[v.name] = value;
      }
    }
    return out;
  }

  async #launch(pod: V1Pod): Promise<void> {
    const name = pod.metadata!.name!;
    const container = pod.spec!.containers[0]!;
    const env = await this.#envOf(pod, container.env ?? []);
    const volumes: SecretVolume[] = [];
    for (const m of container.volumeMounts ?? []) {
      const spec = pod.spec!.volumes?.find((v) => v.name === m.name);
      const dir = join(this.#o.logDir, 'volumes', name, m.name);
      if (spec?.secret?.secretName) {
        const volume = new SecretVolume(this.#core, this.#o.namespace, spec.secret.secretName, dir);
        await volume.sync();
        volumes.push(volume);
      } else if (spec?.emptyDir || spec?.ephemeral) {
        // A fresh volume per pod: whatever an earlier pod of this name left is gone.
        rmSync(dir, { recursive: true, force: true });
        mkdirSync(dir, { recursive: true });
      } else continue;
      for (const [k, v] of Object.entries(env))
        if (v === m.mountPath || v.startsWith(`${m.mountPath}/`)) env[k] = dir + v.slice(m.mountPath.length);
    }
    const job = pod.metadata!.labels![LABEL_JOB]!;
    const attempt = Number(pod.metadata!.labels![LABEL_ATTEMPT]);
    const parallelism = Number(env[ENV.parallelism]);
    const peers: string[] = [];
    for (let i = 0; i < parallelism; i++)
      peers.push(`127.0.0.1:${await this.#port(workerPodName(job, attempt, i))}`);
    const sa = pod.spec!.serviceAccountName ?? 'default';
    const token = await this.#core.createNamespacedServiceAccountToken({
      name: sa,
      namespace: this.#o.namespace,
      body: { spec: { audiences: [], expirationSeconds: 3600 } },
    });
    const { state, apiServer } = this.#o;
    const kubeconfig = writeTokenKubeconfig(
      apiServer ? { ...state, controlPlane: { ...state.controlPlane, server: apiServer } } : state,
      token.status?.token ?? '',
      join(this.#o.logDir, `kubeconfig-${name}`),
    );
    const healthPort = await freePort();
    if (this.#stopped) return;
    const log = createWriteStream(join(this.#o.logDir, `${name}.log`), { flags: 'a' });
    const terminationLog = join(this.#o.logDir, `${name}.termination-log`);
    writeFileSync(terminationLog, '');
    const child = spawn(process.execPath, [join(REPO_ROOT, 'runtime-image', 'src', 'main.ts')], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        NODE_OPTIONS: '--no-warnings',
        ...env,
        [ENV.peers]: peers.join(','),
        [ENV.dataPort]: String(await this.#port(name)),
        [ENV.healthPort]: String(healthPort),
        SLUICE_TERMINATION_LOG: terminationLog,
        KUBECONFIG: kubeconfig,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.pipe(log, { end: false });
    child.stderr!.pipe(log, { end: false });
    const r: Running = { pod: name, child, healthPort, ready: false, exited: false, volumes };
    this.#running.set(name, r);
    child.once('exit', (code, signal) => {
      r.exited = true;
      log.end();
      const exitCode = code ?? (signal === 'SIGKILL' ? 137 : 143);
      const written = readFileSync(terminationLog)
        .subarray(0, TERMINATION_MESSAGE_MAX_BYTES)
        .toString('utf8');
      void this.#report(name, {
        kind: 'terminated',
        exitCode,
        reason: exitCode === 0 ? 'Completed' : 'Error',
        message: signal ? `killed by ${signal}` : written || undefined,
      });
    });
    await this.#report(name, { kind: 'running', ready: false });
  }

  async #probe(r: Running): Promise<void> {
    try {
      const res = await fetch(`http://127.0.0.1:${r.healthPort}/readyz`, {
        signal: AbortSignal.timeout(1000),
      });
      if (res.status === 200 && !r.exited) {
        r.ready = true;
        await this.#report(r.pod, { kind: 'running', ready: true });
      }
    } catch {
      // not listening yet
    }
  }

  /** Writes the pod status for `report` (a pod deleted meanwhile is fine). */
  async #report(name: string, report: ContainerReport): Promise<void> {
    try {
      const pod = await this.#core.readNamespacedPod({ name, namespace: this.#o.namespace });
      await this.#core.patchNamespacedPodStatus(
        { name, namespace: this.#o.namespace, body: { status: podStatusFor(pod, report, '127.0.0.1') } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    } catch (err) {
      if ((err as { code?: number }).code !== 404 && !this.#stopped) {
        this.errors.push(`reporting ${name}: ${(err as Error).message}`);
      }
    }
  }
}

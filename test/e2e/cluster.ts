/**
 * What the end-to-end tests use to drive the kind cluster: kubectl and helm from ./bin against
 * the kubeconfig hack/kind-up.sh wrote, polling with deadlines, the chart install, and `mc`
 * inside the dev MinIO pod (with the credentials it already has: none reach the test's output).
 *
 * The cluster and the images come from `make e2e` (kind-up, images); the tests install the chart.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, toolPath } from '../harness/paths.ts';

export const clusterName = process.env.SLUICE_KIND_CLUSTER ?? 'sluice';
const cacheDir = process.env.SLUICE_CACHE ?? join(homedir(), '.cache', 'sluice');
export const kubeconfig =
  process.env.SLUICE_KUBECONFIG ?? join(cacheDir, 'kind', `${clusterName}.kubeconfig`);
export const systemNamespace = process.env.SLUICE_NAMESPACE ?? 'sluice-system';
export const release = 'sluice';
export const operatorDeployment = `${release}-operator`;
export const minioDeployment = `${release}-minio`;
export const operatorImage = 'sluice-operator:dev';
export const minioImage = 'sluice-minio:dev';
export const kafkaImage = 'sluice-kafka:dev';
export const kafkaDeployment = `${release}-kafka`;
/** The chart's dev broker as pods see it (its Service, also the advertised listener). */
export const kafkaBootstrap = `${kafkaDeployment}.${systemNamespace}.svc:9092`;
export const runtimeImage = 'sluice-runtime:dev';

export type RunResult = { code: number; stdout: string; stderr: string };

/** Runs a command; never throws for a non-zero exit (the caller asserts on `code`). */
export function run(cmd: string, args: string[], input?: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      cmd,
      args,
      { maxBuffer: 512 * 1024 * 1024, encoding: 'utf8', env: { ...process.env, KUBECONFIG: kubeconfig } },
      (err, stdout, stderr) => {
        if (err && typeof (err as { code?: unknown }).code !== 'number') {
          reject(err);
          return;
        }
        resolve({ code: err ? Number((err as { code: number }).code) : 0, stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** Runs a command and returns its stdout; throws with the command and its stderr on failure. */
export async function must(cmd: string, args: string[], input?: string): Promise<string> {
  const r = await run(cmd, args, input);
  if (r.code !== 0) {
    throw new Error(`${cmd.split('/').pop()} ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  }
  return r.stdout;
}

/**
 * Starts a long-running kubectl (e.g. `get -w`) and collects its stdout lines, and when each
 * arrived (`times`, ms since the epoch), until `stop()`, which ends it and returns the lines.
 */
export function kubectlLines(args: string[]): {
  lines: string[];
  times: number[];
  stop: () => Promise<string[]>;
} {
  const lines: string[] = [];
  const times: number[] = [];
  const child = spawn(kubectlPath(), args, {
    env: { ...process.env, KUBECONFIG: kubeconfig },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let rest = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop() ?? '';
    const now = Date.now();
    for (const l of parts) {
      lines.push(l);
      times.push(now);
    }
  });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  return {
    lines,
    times,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
      return lines;
    },
  };
}

export const kubectlPath = () => toolPath('kubectl');
export const kubectl = (args: string[], input?: string) => run(kubectlPath(), args, input);
export const kubectlOk = (args: string[], input?: string) => must(kubectlPath(), args, input);
export async function kubectlJson<T>(args: string[]): Promise<T> {
  return JSON.parse(await kubectlOk([...args, '-o', 'json'])) as T;
}
export const helm = (args: string[]) => must(toolPath('helm'), ['--kubeconfig', kubeconfig, ...args]);

export type Probe<T> = { done: true; value: T } | { done: false; observed: string };

/**
 * Polls `probe` until it reports done, or fails after `timeoutMs` with what it last observed.
 * A probe that throws counts as not done (the error is what was observed).
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<Probe<T>>,
  timeoutMs: number,
  intervalMs = 2000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let observed: string;
  for (;;) {
    try {
      const p = await probe();
      if (p.done) return p.value;
      observed = p.observed;
    } catch (err) {
      observed = `error: ${err instanceof Error ? err.message : String(err)}`;
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${what}; last observed: ${observed}`,
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Fails fast with the command to run when the cluster is not there. */
export async function requireCluster(): Promise<void> {
  if (!existsSync(kubeconfig)) {
    throw new Error(
      `no kubeconfig at ${kubeconfig}: run 'make e2e' (it starts the kind cluster and builds the images)`,
    );
  }
  const r = await kubectl(['get', '--raw', '/readyz']);
  if (r.code !== 0) {
    throw new Error(
      `the kind cluster '${clusterName}' does not answer (${r.stderr.trim()}): run 'make kind-up'`,
    );
  }
}

/** A namespace that enforces the `restricted` Pod Security Standard. */
export async function createRestrictedNamespace(name: string): Promise<void> {
  const ns = {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name,
      labels: {
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/warn': 'restricted',
      },
    },
  };
  await kubectlOk(['apply', '-f', '-'], JSON.stringify(ns));
}

async function dockerImageId(image: string): Promise<string> {
  const id = (await must('docker', ['image', 'inspect', '--format', '{{.Id}}', image])).trim();
  return id.replace(/^sha256:/, '').slice(0, 12);
}

/**
 * `helm upgrade --install` of charts/sluice into the system namespace, exactly as
 * hack/deploy.sh does: local images, pull policy Never, the operator image id as a pod
 * annotation (a rebuilt image rolls out). Helm waits for the bucket hook Job.
 * @param extraValues more `--set-string` values, e.g. `operator.nodeSelector.x=y`
 * @param opts.kafka also the dev Kafka broker (kafka.enabled, as `SLUICE_KAFKA=1 hack/deploy.sh`),
 *   waiting for its rollout; without it an upgrade removes a broker an earlier install added
 */
export async function installChart(
  extraValues: string[] = [],
  opts: { kafka?: boolean } = {},
): Promise<string> {
  await createRestrictedNamespace(systemNamespace);
  const opId = await dockerImageId(operatorImage);
  const kafkaValues = opts.kafka
    ? [
        '--set',
        'kafka.enabled=true',
        '--set',
        'kafka.image.pullPolicy=Never',
        '--set-string',
        `kafka.podAnnotations.sluice\\.dev/image-id=${await dockerImageId(kafkaImage)}`,
      ]
    : [];
  const out = await helm([
    'upgrade',
    '--install',
    release,
    join(repoRoot, 'charts', 'sluice'),
    '--namespace',
    systemNamespace,
    '--set',
    'operator.image.pullPolicy=Never',
    '--set',
    'minio.image.pullPolicy=Never',
    '--set-string',
    `operator.podAnnotations.sluice\\.dev/image-id=${opId}`,
    ...kafkaValues,
    ...extraValues.flatMap((v) => ['--set-string', v]),
    '--timeout',
    '300s',
  ]);
  for (const d of [operatorDeployment, minioDeployment, ...(opts.kafka ? [kafkaDeployment] : [])]) {
    await kubectlOk(['-n', systemNamespace, 'rollout', 'status', `deployment/${d}`, '--timeout=300s']);
  }
  // `rollout status` is done once the new operator pod is Ready — a standby is Ready too — while
  // the old pod may still lead (and create worker pods) until it has shut down: wait for that.
  await waitOperatorLeader(120_000);
  return out;
}

type OperatorPod = {
  metadata: { name: string; deletionTimestamp?: string };
  status: { phase?: string; conditions?: { type: string; status: string }[] };
};

/** The operator's pods (any state). */
export async function operatorPods(): Promise<OperatorPod[]> {
  const list = await kubectlJson<{ items: OperatorPod[] }>([
    '-n',
    systemNamespace,
    'get',
    'pods',
    '-l',
    'app.kubernetes.io/component=operator',
  ]);
  return list.items;
}

/** The operator Lease's holder identity (`<pod>_<random>`), '' when released. */
export async function leaseHolder(): Promise<string> {
  const lease = await kubectlJson<{ spec: { holderIdentity?: string } }>([
    '-n',
    systemNamespace,
    'get',
    'lease',
    operatorDeployment,
  ]);
  return lease.spec.holderIdentity ?? '';
}

/**
 * Waits until exactly one operator pod exists, not terminating, Ready, and holding the Lease;
 * returns its name.
 */
export async function waitOperatorLeader(timeoutMs: number): Promise<string> {
  return waitFor(
    'one Ready operator pod holding the Lease (no old pod left)',
    async () => {
      const pods = await operatorPods();
      const holder = await leaseHolder();
      const p = pods[0];
      const ok =
        pods.length === 1 &&
        p !== undefined &&
        !p.metadata.deletionTimestamp &&
        (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True') &&
        holder.startsWith(`${p.metadata.name}_`);
      return ok
        ? { done: true, value: p.metadata.name }
        : {
            done: false,
            observed: `holder '${holder}', pods ${pods.map((x) => `${x.metadata.name}${x.metadata.deletionTimestamp ? '(terminating)' : ''}`).join(' ')}`,
          };
    },
    timeoutMs,
    1000,
  );
}

/**
 * `mc ARGS...` inside the dev MinIO pod against its own server, logged in with the root
 * credentials from the pod's environment (the chart's Secret); they never leave the pod.
 */
export async function mc(args: string[]): Promise<string> {
  const script =
    'export MC_CONFIG_DIR=/tmp/mc-e2e; ' +
    'mc alias set dev http://127.0.0.1:9000 "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null; ' +
    'exec mc "$@"';
  return kubectlOk([
    '-n',
    systemNamespace,
    'exec',
    `deployment/${minioDeployment}`,
    '-c',
    'minio',
    '--',
    'sh',
    '-ec',
    script,
    'sh',
    ...args,
  ]);
}

/** Keys (relative to `prefix`) of the objects under s3://bucket/prefix, recursively. */
export async function listObjects(bucket: string, prefix: string): Promise<string[]> {
  const out = await mc(['ls', '--json', '--recursive', `dev/${bucket}/${prefix}`]);
  return out
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { key?: string; status?: string; error?: unknown })
    .filter((o) => o.status === 'success' && typeof o.key === 'string')
    .map((o) => o.key as string);
}

/** Writes `body` to `target` (`dev/<bucket>/<key>`) with `mc` inside the dev MinIO pod. */
export async function mcPut(target: string, body: string): Promise<void> {
  const script =
    'export MC_CONFIG_DIR=/tmp/mc-e2e; ' +
    'mc alias set dev http://127.0.0.1:9000 "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null; ' +
    // Through a file, not `mc pipe`: that buffers a 528 MiB part and MinIO's 512 Mi limit kills it.
    'f=$(mktemp); trap \'rm -f "$f"\' EXIT; cat >"$f"; mc cp --quiet "$f" "$1" >/dev/null';
  await kubectlOk(
    [
      '-n',
      systemNamespace,
      'exec',
      '-i',
      `deployment/${minioDeployment}`,
      '-c',
      'minio',
      '--',
      'sh',
      '-ec',
      script,
      'sh',
      target,
    ],
    body,
  );
}

/** The label of control-plane nodes (kubeadm). */
export const CONTROL_PLANE_LABEL = 'node-role.kubernetes.io/control-plane';

/**
 * Chart values that pin `component` (`operator` or `minio`) to the control-plane node, tolerating
 * its NoSchedule taint: on a multi-node cluster, the nodes a test loses hold only job workers.
 */
export function pinToControlPlane(component: 'operator' | 'minio'): string[] {
  return [
    `${component}.nodeSelector.node-role\\.kubernetes\\.io/control-plane=`,
    `${component}.tolerations[0].key=${CONTROL_PLANE_LABEL}`,
    `${component}.tolerations[0].operator=Exists`,
    `${component}.tolerations[0].effect=NoSchedule`,
  ];
}

/** Names of the cluster's worker nodes (every node without the control-plane label). */
export async function workerNodes(): Promise<string[]> {
  const nodes = await kubectlJson<{
    items: Array<{ metadata: { name: string; labels?: Record<string, string> } }>;
  }>(['get', 'nodes']);
  return nodes.items
    .filter((n) => !(CONTROL_PLANE_LABEL in (n.metadata.labels ?? {})))
    .map((n) => n.metadata.name);
}

/** Waits until node `name` reports Ready=True (e.g. after `docker unpause`). */
export function waitNodeReady(name: string, timeoutMs: number): Promise<true> {
  return waitFor(
    `node ${name} Ready`,
    async () => {
      const r = await kubectl([
        'get',
        'node',
        name,
        '-o',
        'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
      ]);
      return r.stdout.trim() === 'True' ? { done: true, value: true } : { done: false, observed: r.stdout };
    },
    timeoutMs,
  );
}

/** The kind node's docker container (a single-node cluster: the control plane runs the pods). */
export const nodeContainer = `${clusterName}-control-plane`;

/**
 * `ctr -n k8s.io ARGS...` in the kind node: the node's containerd, which runs the pods'
 * containers (the node has no crictl).
 */
export const ctr = (args: string[]) =>
  must('docker', ['exec', nodeContainer, 'ctr', '-n', 'k8s.io', ...args]);

/** The containerd id of a pod's first container, from `status.containerStatuses[0].containerID`. */
export function containerIdOf(pod: {
  metadata: { name: string };
  status?: { containerStatuses?: { containerID?: string }[] };
}): string {
  const id = pod.status?.containerStatuses?.[0]?.containerID ?? '';
  if (!id.startsWith('containerd://')) {
    throw new Error(`pod ${pod.metadata.name} has no running container (containerID '${id}')`);
  }
  return id.slice('containerd://'.length);
}

/** SIGKILLs a container's process through the node's containerd (the pod object is left alone). */
export const killContainer = (containerId: string) =>
  ctr(['tasks', 'kill', '--signal', 'SIGKILL', containerId]);
/** Freezes every process of a container (cgroup freezer) until {@link resumeContainer}. */
export const pauseContainer = (containerId: string) => ctr(['tasks', 'pause', containerId]);
export const resumeContainer = (containerId: string) => ctr(['tasks', 'resume', containerId]);

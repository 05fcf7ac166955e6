/**
 * The benchmark's world, built from the integration-test harness's own start functions: a real
 * etcd + kube-apiserver (test/harness/control-plane.ts) and MinIO (minio-server.ts) on loopback,
 * the CRDs, one namespace + bucket (env.ts `setupTestEnv`), the storage credentials Secret, and
 * the operator as a separate process with the least-privilege RBAC of
 * operator/config/rbac/role.yaml (as the operator-process integration tests run it): the bundle
 * the image runs (operator/bundle.ts, `node operator.mjs`), or the sources as in development.
 *
 * Every process is started through the harness's `startServer` (`setpriv --pdeathsig KILL`),
 * so the kernel kills it when the benchmark process dies, however it dies.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { bundleOperator } from '../../operator/bundle.ts';
import {
  createStorageSecret,
  isReady,
  operatorEnv,
  operatorIdentity,
  REPO_ROOT,
  waitFor,
} from '../../test/harness/operator.ts';
import { startControlPlane, type ControlPlane } from '../../test/harness/control-plane.ts';
import { installCrds } from '../../test/harness/crds.ts';
import { setupTestEnv, type TestEnv } from '../../test/harness/env.ts';
import { startMinio, type MinioServer } from '../../test/harness/minio-server.ts';
import { freePort } from '../../test/harness/ports.ts';
import { startServer, stopServer, type ServerProcess } from '../../test/harness/process.ts';
import { STATE_ENV, type HarnessState } from '../../test/harness/state.ts';
import { commandLine } from './procfs.ts';

/** Name of the storage credentials Secret the operator copies into job namespaces. */
export const STORAGE_SECRET = 'sluice-storage-credentials';

/** The started servers and the namespace the benchmark works in. */
export interface BenchCluster {
  workDir: string;
  state: HarnessState;
  /** Admin access (system:masters) to the API server. */
  kubeConfig: KubeConfig;
  env: TestEnv;
  etcd: ServerProcess;
  apiserver: ServerProcess;
  minio: ServerProcess;
  /** Path of a kubeconfig with a token of the operator's least-privilege ServiceAccount. */
  operatorKubeconfig: string;
}

/** A running operator process. */
export interface OperatorHandle {
  process: ServerProcess;
  /** Base URL of /metrics, /healthz, /readyz. */
  url: string;
}

/**
 * Starts etcd + kube-apiserver and MinIO in parallel under a fresh temporary directory, installs
 * the CRDs, creates the namespace, bucket, storage Secret and the operator's ServiceAccount.
 * `say` receives progress lines. On failure everything started so far is stopped.
 */
export async function startBenchCluster(say: (line: string) => void): Promise<BenchCluster> {
  const workDir = mkdtempSync(join(tmpdir(), 'sluice-bench-scale-'));
  say(`starting etcd, kube-apiserver and MinIO under ${workDir}`);
  const [cpResult, minioResult] = await Promise.allSettled([
    startControlPlane(workDir),
    startMinio(join(workDir, 'minio')),
  ]);
  const started: ServerProcess[] = [
    ...(cpResult.status === 'fulfilled' ? cpResult.value.processes : []),
    ...(minioResult.status === 'fulfilled' ? [minioResult.value.process] : []),
  ];
  try {
    if (cpResult.status === 'rejected') throw cpResult.reason;
    if (minioResult.status === 'rejected') throw minioResult.reason;
    const cp: ControlPlane = cpResult.value;
    const minio: MinioServer = minioResult.value;
    const state: HarnessState = {
      workDir,
      controlPlane: cp.info,
      minio: { ...minio.info, dataDir: minio.dataDir },
    };
    // env.ts reads the harness state from the file named by SLUICE_TEST_ENV, as under jest.
    const stateFile = join(workDir, 'state.json');
    writeFileSync(stateFile, JSON.stringify(state), { mode: 0o600 });
    process.env[STATE_ENV] = stateFile;
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(cp.info.kubeconfigPath);
    await installCrds(kubeConfig);
    const env = await setupTestEnv('bench-scale');
    await createStorageSecret(kubeConfig, env.namespace, STORAGE_SECRET, state);
    const operatorKubeconfig = await operatorIdentity(kubeConfig, env.namespace, state, workDir);
    say(`control plane ${cp.info.server}, MinIO ${minio.info.url}, namespace ${env.namespace}`);
    const byName = (n: string) => started.find((p) => p.name === n)!;
    return {
      workDir,
      state,
      kubeConfig,
      env,
      etcd: byName('etcd'),
      apiserver: byName('kube-apiserver'),
      minio: byName('minio'),
      operatorKubeconfig,
    };
  } catch (err) {
    await Promise.all(started.map((p) => stopServer(p)));
    rmSync(workDir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * The memory settings the operator image runs with: `NODE_OPTIONS` and the `MALLOC_*` variables
 * of operator/Dockerfile's `ENV` (docs/operator.md "Memory under load"), read from the Dockerfile
 * so that the benchmark's operator process runs with exactly the image's.
 * @returns e.g. `{ NODE_OPTIONS: '--no-warnings=… --max-semi-space-size=8 …', MALLOC_ARENA_MAX: '2' }`
 * @throws Error when the Dockerfile sets no NODE_OPTIONS
 */
export function imageMemoryEnv(): Record<string, string> {
  const dockerfile = readFileSync(join(REPO_ROOT, 'operator', 'Dockerfile'), 'utf8');
  const nodeOptions = /^\s+NODE_OPTIONS="([^"]*)"/m.exec(dockerfile)?.[1];
  if (nodeOptions === undefined) throw new Error('operator/Dockerfile sets no NODE_OPTIONS="..." in its ENV');
  const env: Record<string, string> = { NODE_OPTIONS: nodeOptions };
  for (const m of dockerfile.matchAll(/^\s+(MALLOC_[A-Z_]+)=(\S+)/gm)) env[m[1]!] = m[2]!;
  return env;
}

/**
 * What the benchmark runs as the operator: `bundle`, the image's `operator.mjs` built by
 * operator/bundle.ts into the work directory (what ships), or `sources`, `node
 * operator/src/main.ts` (development; Node strips the types as it loads each file).
 */
export type OperatorBuild = 'bundle' | 'sources';

/**
 * Starts the operator against the cluster (watching the benchmark namespace, leader election
 * on, storage on the harness MinIO) and waits until `/readyz` answers 200, i.e. it leads and
 * its informers have synced.
 *
 * As the image runs it (the defaults): the bundle, with Node's compile cache filled first by
 * `node operator.mjs --help` under the same NODE_OPTIONS (operator/Dockerfile), in the work
 * directory.
 * @param settings extra `SLUICE_*` variables (e.g. `SLUICE_MAX_CONCURRENT_RECONCILES`)
 * @param options.build the bundle (default; rebuilt on every call) or the sources
 * @param options.compileCache fill and use a compile cache (default true)
 * @throws Error naming the log file when it is not ready within 60 s, or when filling the
 *   compile cache fails
 */
export async function startOperator(
  c: BenchCluster,
  settings: Record<string, string>,
  options: { build?: OperatorBuild; compileCache?: boolean } = {},
): Promise<OperatorHandle> {
  const build = options.build ?? 'bundle';
  const entry =
    build === 'bundle' ? join(c.workDir, 'operator.mjs') : join(REPO_ROOT, 'operator', 'src', 'main.ts');
  if (build === 'bundle') {
    const warnings = await bundleOperator(entry);
    if (warnings.length) throw new Error(`operator/bundle.ts warned:\n${warnings.join('\n')}`);
  }
  const port = await freePort();
  const vars = operatorEnv({
    namespace: c.env.namespace,
    bucket: c.env.bucket,
    state: c.state,
    secret: STORAGE_SECRET,
    httpPort: port,
    identity: 'bench-operator',
    leaderElection: true,
    extra: {
      // Production defaults rather than the integration tests' (debug logs, 1 min resync).
      SLUICE_LOG_LEVEL: 'info',
      SLUICE_RESYNC_PERIOD: '10m',
      // The benchmark's own NODE_OPTIONS (make's --experimental-vm-modules) are not the operator's.
      NODE_OPTIONS: '',
      ...settings,
    },
  });
  if (options.compileCache ?? true) {
    vars.NODE_COMPILE_CACHE = join(c.workDir, 'compile-cache');
    execFileSync(process.execPath, [entry, '--help'], { env: vars, stdio: 'ignore' });
  }
  const logFile = join(c.workDir, 'operator.log');
  const proc = startServer(
    'sluice-operator',
    process.execPath,
    [entry, `--kubeconfig=${c.operatorKubeconfig}`],
    logFile,
    vars,
  );
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    `the operator to serve /readyz (log ${logFile})`,
    async () => {
      if (proc.child.exitCode !== null || proc.child.signalCode !== null) {
        throw new Error(`operator exited (${proc.child.exitCode ?? proc.child.signalCode}); log ${logFile}`);
      }
      return isReady(url);
    },
    60_000,
    200,
  );
  // setpriv execs the command, so the pid is the operator's own (procfs figures are its own).
  if (!commandLine(proc.pid).includes(entry)) {
    throw new Error(`pid ${proc.pid} is not the operator process: ${commandLine(proc.pid)}`);
  }
  return { process: proc, url };
}

/** Stops the operator and the servers (SIGTERM, then SIGKILL) and removes the work directory unless `keep`. */
export async function stopBenchCluster(
  c: BenchCluster | undefined,
  operator: OperatorHandle | undefined,
  keep: boolean,
): Promise<void> {
  if (operator) await stopServer(operator.process, 5000);
  if (!c) return;
  await Promise.all([c.apiserver, c.minio].map((p) => stopServer(p)));
  await stopServer(c.etcd);
  if (!keep) rmSync(c.workDir, { recursive: true, force: true });
}

/**
 * The set-up shared by the coordination-* integration tests: a test namespace and bucket, a
 * wordcount corpus in the bucket with its reference count, the storage credentials Secret the
 * operator copies, and a process kubelet that runs a real worker process for every pod.
 */
import { join } from 'node:path';
import type { StreamJob, StreamJobSpec } from '@sluice/api/streamjob.ts';
import {
  Jobs,
  createStorageSecret,
  exampleJob,
  startInProcessOperator,
  waitFor,
  type InProcessOperator,
} from './operator.ts';
import { readCommittedOutput } from './local-workers.ts';
import { setupTestEnv, type TestEnv } from './env.ts';
import { ProcessKubelet } from './process-kubelet.ts';
import type { SimulatedNodes } from './simulated-nodes.ts';
import { corpus, expectExactlyOnce, reference } from './wordcount-reference.ts';

/** Name of the storage credentials Secret the fixture creates in the test namespace. */
export const STORAGE_SECRET = 'sluice-storage-credentials';

/** What a coordination test works with. */
export interface WordcountFixture {
  env: TestEnv;
  jobs: Jobs;
  kubelet: ProcessKubelet;
  /** Reference wordcount of the corpus under `corpus/` (sorted `word count` lines). */
  expected: string[];
}

/**
 * Creates the namespace and bucket (`setupTestEnv(prefix)`), uploads a corpus of 4 objects ×
 * 300 lines generated from `seed` under `corpus/`, creates the storage Secret and starts the
 * process kubelet. Stop with {@link stopWordcountFixture}.
 */
export async function startWordcountFixture(
  prefix: string,
  seed: number,
  nodes?: (env: TestEnv) => Promise<SimulatedNodes>,
): Promise<WordcountFixture> {
  const env = await setupTestEnv(prefix);
  const jobs = new Jobs(env.kubeConfig, env.namespace);
  const texts = corpus(4, 300, seed);
  for (const [name, text] of texts)
    await env.minio.putObject(env.bucket, `corpus/${name}`, Buffer.from(text));
  const expected = reference(texts.values());
  await createStorageSecret(env.kubeConfig, env.namespace, STORAGE_SECRET, env.state);
  return { env, jobs, kubelet: startProcessKubelet(env, nodes ? await nodes(env) : undefined), expected };
}

/**
 * Starts a process kubelet for the test namespace of `env` (worker logs under its work dir),
 * binding pods to `nodes` when given.
 */
export function startProcessKubelet(env: TestEnv, nodes?: SimulatedNodes): ProcessKubelet {
  const kubelet = new ProcessKubelet({
    kubeConfig: env.kubeConfig,
    state: env.state,
    namespace: env.namespace,
    logDir: join(env.state.workDir, `workers-${env.namespace}`),
    ...(nodes ? { nodes } : {}),
  });
  kubelet.start();
  return kubelet;
}

/**
 * Starts the operator in this process, reconciling the fixture's namespace only.
 * @param extraEnv operator settings (docs/operator.md "Configuration"), e.g. SLUICE_NODE_LEASE_GRACE
 */
export function startFixtureOperator(
  f: WordcountFixture,
  extraEnv?: Record<string, string>,
): Promise<InProcessOperator> {
  return startInProcessOperator({
    ...(extraEnv ? { extraEnv } : {}),
    kubeConfig: f.env.kubeConfig,
    namespace: f.env.namespace,
    bucket: f.env.bucket,
    state: f.env.state,
    secret: STORAGE_SECRET,
    logFile: join(f.env.state.workDir, `operator-${f.env.namespace}.log`),
  });
}

/** Stops the kubelet (killing its workers), then the operator if given, then removes the namespace and bucket. */
export async function stopWordcountFixture(
  f: WordcountFixture | undefined,
  operator?: InProcessOperator,
): Promise<void> {
  await f?.kubelet.stop();
  await operator?.stop();
  await f?.env.cleanup();
}

/**
 * examples/wordcount.yaml as the coordination tests run it: named `name`, parallelism 2,
 * reading the fixture's corpus (`corpus/`, 1200 lines) at `rate` lines/s per worker (default 60:
 * about 10 s of input) into the exactly-once S3 sink under `output` (4 KiB parts), checkpoints
 * every second (timeout 30 s, 2 retained), no podTemplate. `spec` overrides any of that.
 */
export function corpusWordcountJob(
  name: string,
  o: { output: string; rate?: number; spec?: Partial<StreamJobSpec> },
): ReturnType<typeof exampleJob> {
  const manifest = exampleJob('wordcount.yaml');
  manifest.metadata.name = name;
  delete manifest.spec.podTemplate;
  manifest.spec = {
    ...manifest.spec,
    parallelism: 2,
    job: {
      entry: 'wordcount',
      config: {
        input: { s3: { prefix: 'corpus/', rate: o.rate ?? 60 } },
        output: { s3: { prefix: o.output, rollBytes: 4096 } },
      },
    },
    checkpoint: { intervalSeconds: 1, timeoutSeconds: 30, retained: 2 },
    ...o.spec,
  };
  return manifest;
}

/** Waits until the bounded job `name` is Finished (every worker exited 0); returns it. */
export function waitFinished(f: WordcountFixture, name: string, timeoutMs = 120_000): Promise<StreamJob> {
  return waitFor(
    `${name} finished`,
    async () => {
      const j = await f.jobs.get(name);
      return j.status?.phase === 'Finished' && j;
    },
    timeoutMs,
  );
}

/** Asserts that the output committed under `prefix` counts the fixture's corpus exactly once. */
export async function expectCorpusCountedOnce(f: WordcountFixture, prefix: string): Promise<void> {
  const out = await readCommittedOutput<{ word: string; count: number }>(f.env.minio, f.env.bucket, prefix);
  expectExactlyOnce(out, f.expected);
}

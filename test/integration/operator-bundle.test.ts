/**
 * The operator as the image runs it: the one-module bundle of operator/bundle.ts (docs/operator.md
 * "Memory at idle"), as a process with least-privilege RBAC, runs a wordcount with real worker
 * processes (process kubelet) to its end. What the bundle must keep working that the sources do
 * without help: every dependency inlined, the ones loaded on first use too (the S3 client and
 * its AssumeRole provider, for checkpoints and the job's storage credentials), and the
 * CommonJS dependencies' `require` of Node's built-in modules.
 */
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { bundleOperator } from '../../operator/bundle.ts';
import {
  STORAGE_SECRET,
  corpusWordcountJob,
  expectCorpusCountedOnce,
  startWordcountFixture,
  stopWordcountFixture,
  waitFinished,
  type WordcountFixture,
} from '../harness/coordination-fixture.ts';
import {
  isReady,
  operatorEnv,
  operatorIdentity,
  spawnOperator,
  waitFor,
  type OperatorProcess,
} from '../harness/operator.ts';
import { freePort } from '../harness/ports.ts';
import { corpus } from '../harness/wordcount-reference.ts';

jest.setTimeout(240_000);

describe('the bundled operator (operator/bundle.ts)', () => {
  let f: WordcountFixture;
  let operator: OperatorProcess | undefined;

  const SEED = 47;
  /** The job's own part of the bucket: with least privilege the operator cannot look up other namespaces. */
  const own = () => `${f.env.namespace}/`;

  beforeAll(async () => {
    f = await startWordcountFixture('operator-bundle', SEED);
    // The fixture's corpus (same seed, same texts) again under the namespace's own prefix.
    for (const [name, text] of corpus(4, 300, SEED))
      await f.env.minio.putObject(f.env.bucket, `${own()}corpus/${name}`, Buffer.from(text));
  }, 60_000);

  afterAll(async () => {
    operator?.child.kill('SIGKILL');
    await operator?.exited;
    await stopWordcountFixture(f);
  }, 60_000);

  it('bundles without warnings and runs a job to its end with exactly-once output', async () => {
    const entry = join(f.env.state.workDir, `operator-${f.env.namespace}.mjs`);
    expect(await bundleOperator(entry)).toEqual([]);
    const kubeconfig = await operatorIdentity(
      f.env.kubeConfig,
      f.env.namespace,
      f.env.state,
      f.env.state.workDir,
    );
    const port = await freePort();
    const vars = operatorEnv({
      namespace: f.env.namespace,
      bucket: f.env.bucket,
      state: f.env.state,
      secret: STORAGE_SECRET,
      httpPort: port,
      identity: 'bundle',
      leaderElection: true,
    });
    operator = spawnOperator(
      vars,
      join(f.env.state.workDir, `operator-${f.env.namespace}.log`),
      kubeconfig,
      entry,
    );
    await waitFor(
      `the bundled operator to serve /readyz (log ${operator.logFile})`,
      () => isReady(operator!.url),
      30_000,
    );

    const manifest = corpusWordcountJob('bundled', { output: `${own()}out/` });
    manifest.spec.job!.config!.input = { s3: { prefix: `${own()}corpus/`, rate: 60 } };
    await f.jobs.create(manifest);
    const done = await waitFinished(f, 'bundled', 180_000);
    expect(done.status?.checkpoints?.lastCompleted?.id ?? 0).toBeGreaterThanOrEqual(1);
    await expectCorpusCountedOnce(f, `${own()}out/`);
    expect(operator.child.exitCode).toBeNull();
  });
});

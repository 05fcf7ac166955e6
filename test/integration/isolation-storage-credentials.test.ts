/**
 * Per-job storage credentials between tenants (docs/security.md "Per-job storage credentials"):
 * two namespaces share the operator's default storage (one bucket). Each job's workers get STS
 * credentials minted for that job only. Tenant B, holding only the credentials its worker pods
 * receive, cannot list, read, overwrite or delete tenant A's checkpoints, savepoints or outputs,
 * and a StreamJob of B naming A's checkpoint as initialSavepoint or A's output prefix is refused
 * — while both jobs run, checkpoint and produce their output. Real API server, MinIO (STS), and
 * worker processes (process kubelet).
 */
import { jest } from '@jest/globals';
import { CoreV1Api } from '@kubernetes/client-node';
import { Client as MinioClient } from 'minio';
import { metadataKey } from '@sluice/api/layout.ts';
import { ANN_REQUEST_SAVEPOINT } from '@sluice/api/protocol.ts';
import type { StreamJob } from '@sluice/api/streamjob.ts';
import {
  createStorageSecret,
  eventsWith,
  Jobs,
  startInProcessOperator,
  waitFor,
  type InProcessOperator,
} from '../harness/operator.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  corpusWordcountJob,
  expectCorpusCountedOnce,
  startProcessKubelet,
} from '../harness/coordination-fixture.ts';
import { setupTestEnv, type TestEnv } from '../harness/env.ts';
import type { ProcessKubelet } from '../harness/process-kubelet.ts';
import { corpus, reference } from '../harness/wordcount-reference.ts';

jest.setTimeout(240_000);

const ROOT_SECRET = 'sluice-storage-credentials';

describe('per-job storage credentials between tenants (operator + real workers + MinIO STS)', () => {
  let env: TestEnv | undefined;
  let core: CoreV1Api;
  const tenants: string[] = [];
  const kubelets: ProcessKubelet[] = [];
  let operator: InProcessOperator | undefined;
  let expected: string[];

  beforeAll(async () => {
    // env.namespace plays the operator's namespace (it holds the root keys); A and B are tenants.
    env = await setupTestEnv('isolation-storage-creds');
    core = env.kubeConfig.makeApiClient(CoreV1Api);
    for (const t of ['a', 'b']) {
      const name = `${env.namespace}-${t}`;
      await core.createNamespace({
        body: {
          metadata: {
            name,
            labels: {
              'pod-security.kubernetes.io/enforce': 'restricted',
              'pod-security.kubernetes.io/enforce-version': 'latest',
            },
          },
        },
      });
      tenants.push(name);
      kubelets.push(startProcessKubelet({ ...env, namespace: name }));
    }
    const texts = corpus(4, 300, 57);
    for (const [name, text] of texts)
      await env.minio.putObject(env.bucket, `corpus/${name}`, Buffer.from(text));
    expected = reference(texts.values());
    await createStorageSecret(env.kubeConfig, env.namespace, ROOT_SECRET, env.state);
    operator = await startInProcessOperator({
      kubeConfig: env.kubeConfig,
      namespace: env.namespace,
      bucket: env.bucket,
      state: env.state,
      secret: ROOT_SECRET,
      logFile: join(env.state.workDir, `operator-${env.namespace}.log`),
      extraEnv: { SLUICE_WATCH_NAMESPACES: tenants.join(',') },
    });
  });

  afterAll(async () => {
    await Promise.all(kubelets.map((k) => k.stop()));
    await operator?.stop();
    for (const t of tenants) await core.deleteNamespace({ name: t }).catch(() => undefined);
    await env?.cleanup();
  });

  /** A `minio` client with the credentials in `namespace`'s Secret `name`, as a worker gets them. */
  const clientFromSecret = async (namespace: string, name: string): Promise<MinioClient> => {
    const data = (await core.readNamespacedSecret({ namespace, name })).data ?? {};
    const text = (k: string) => Buffer.from(data[k] ?? '', 'base64').toString('utf8');
    const { endPoint, port, useSSL } = env!.state.minio;
    return new MinioClient({
      endPoint,
      port,
      useSSL,
      accessKey: text('accessKey'),
      secretKey: text('secretKey'),
      sessionToken: text('sessionToken'),
    });
  };

  /** The S3 error code `op` fails with ('' when it succeeds). */
  const codeOf = async (op: () => Promise<unknown>): Promise<string> => {
    try {
      await op();
      return '';
    } catch (err) {
      return (err as { code?: string }).code ?? String(err);
    }
  };
  const listAll = async (client: MinioClient, prefix: string): Promise<string[]> => {
    const names: string[] = [];
    for await (const o of client.listObjectsV2(env!.bucket, prefix, true)) if (o.name) names.push(o.name);
    return names;
  };
  const drain = async (client: MinioClient, key: string) => {
    for await (const c of await client.getObject(env!.bucket, key)) void c;
  };
  const degradedReason = async (jobs: Jobs, name: string): Promise<string | undefined> =>
    (await jobs.get(name)).status?.conditions?.find((c) => c.type === 'Degraded' && c.status === 'True')
      ?.reason;

  it("keeps tenant B's worker credentials out of tenant A's checkpoints, savepoints and outputs", async () => {
    const [nsA, nsB] = tenants as [string, string];
    const jobsA = new Jobs(env!.kubeConfig, nsA);
    const jobsB = new Jobs(env!.kubeConfig, nsB);
    // Outputs under each namespace's own part of the bucket (`<namespace>/`, storage prefix '').
    const outA = `${nsA}/out/`;
    const outB = `${nsB}/out/`;
    await jobsA.create(corpusWordcountJob('wc', { output: outA, rate: 20 }));
    await jobsB.create(corpusWordcountJob('wc', { output: outB, rate: 60 }));

    // A: running with checkpoints, then a savepoint.
    await waitFor('A running', async () => (await jobsA.get('wc')).status?.phase === 'Running', 90_000);
    await jobsA.annotate('wc', ANN_REQUEST_SAVEPOINT, 'sp1');
    const savepointA = await waitFor(
      'savepoint of A',
      async () => {
        const last = (await jobsA.get('wc')).status?.savepoints?.last;
        return last?.nonce === 'sp1' && last;
      },
      60_000,
    );
    // Both finish normally: every line counted exactly once, each in its own output.
    const finished = (jobs: Jobs) =>
      waitFor(
        'finished',
        async () => {
          const j = await jobs.get('wc');
          return j.status?.phase === 'Finished' && j;
        },
        150_000,
      );
    const [jobA] = (await Promise.all([finished(jobsA), finished(jobsB)])) as [StreamJob, StreamJob];
    const checkpointA = jobA.status!.checkpoints!.lastCompleted!.path;
    for (const [ns, out] of [
      [nsA, outA],
      [nsB, outB],
    ] as const)
      await expectCorpusCountedOnce({ env: { ...env!, namespace: ns }, expected } as never, out);

    const b = await clientFromSecret(nsB, 'wc-storage-credentials');
    const a = await clientFromSecret(nsA, 'wc-storage-credentials');
    const outputA = (await listAll(env!.minio, outA)).find((k) => !k.includes('_tmp/'))!;
    const targets = {
      checkpoint: metadataKey(checkpointA),
      savepoint: metadataKey(savepointA.path),
      output: outputA,
    };
    // Positive controls: B reads its inputs and its own data; A reads its own.
    expect(await codeOf(() => drain(b, 'corpus/' + [...corpus(4, 300, 57).keys()][0]))).toBe('');
    expect((await listAll(b, outB)).length).toBeGreaterThan(0);
    for (const key of Object.values(targets)) expect(await codeOf(() => drain(a, key))).toBe('');

    // B against A: list, read, overwrite, delete — all refused by MinIO.
    expect(await codeOf(() => listAll(b, `${nsA}/`))).toBe('AccessDenied');
    expect(await codeOf(() => listAll(b, ''))).toBe('AccessDenied');
    for (const key of Object.values(targets)) {
      expect(await codeOf(() => drain(b, key))).toBe('AccessDenied');
      expect(await codeOf(() => b.putObject(env!.bucket, key, Buffer.from('forged')))).toBe('AccessDenied');
      // S3 DeleteObject: MinIO answers AccessDenied before looking at the key.
      expect(await codeOf(() => b.removeObject(env!.bucket, key))).toBe('AccessDenied');
    }
    // Nothing of A changed: the objects are still A's (the root keys read them unchanged).
    for (const key of Object.values(targets))
      expect((await env!.minio.statObject(env!.bucket, key)).size).toBeGreaterThan(6);
  });

  it("refuses a StreamJob of B naming A's checkpoint as initialSavepoint or A's output prefix", async () => {
    const [nsA, nsB] = tenants as [string, string];
    const jobA = await new Jobs(env!.kubeConfig, nsA).get('wc');
    const jobsB = new Jobs(env!.kubeConfig, nsB);
    const checkpointA = jobA.status!.checkpoints!.lastCompleted!.path;
    await jobsB.create(
      corpusWordcountJob('steal', {
        output: `${nsB}/steal-out/`,
        spec: { initialSavepoint: `s3://${env!.bucket}/${checkpointA}` },
      }),
    );
    await jobsB.create(corpusWordcountJob('forge', { output: `${nsA}/out/` }));
    for (const name of ['steal', 'forge']) {
      await waitFor(
        `${name} Degraded ForeignStoragePrefix`,
        async () => (await degradedReason(jobsB, name)) === 'ForeignStoragePrefix',
        60_000,
      );
      const events = await eventsWith(env!.kubeConfig, nsB, name, ['ForeignStoragePrefix']);
      const note = events.find((e) => e.reason === 'ForeignStoragePrefix')!.note!;
      expect(note).toContain(`namespace ${nsA}'s part of the bucket`);
      // No credentials were minted and no worker pod was created.
      expect(
        await codeOf(() =>
          core.readNamespacedSecret({ namespace: nsB, name: `${name}-storage-credentials` }),
        ),
      ).not.toBe('');
      const pods = await core.listNamespacedPod({ namespace: nsB, labelSelector: `sluice.dev/job=${name}` });
      expect(pods.items).toEqual([]);
    }
    const steal = await jobsB.get('steal');
    expect(steal.status?.conditions?.find((c) => c.type === 'Degraded')?.message).toContain(
      'spec.initialSavepoint',
    );
    const forge = await jobsB.get('forge');
    expect(forge.status?.conditions?.find((c) => c.type === 'Degraded')?.message).toContain(
      'spec.job.config.output.s3.prefix',
    );
  });
  it('renews credentials at half-life while the attempt keeps running and checkpointing', async () => {
    const nsA = tenants[0]!;
    const jobs = new Jobs(env!.kubeConfig, nsA);
    const secretName = 'renew-storage-credentials';
    const manifest = corpusWordcountJob('renew', { output: `${nsA}/renew-out/` });
    manifest.spec.job = {
      entry: 'wordcount',
      config: { input: { generator: { lines: 1_000_000, rate: 50, partitions: 2 } }, output: { log: {} } },
    };
    await jobs.create(manifest);
    const completed = async () => (await jobs.get('renew')).status?.checkpoints?.lastCompleted?.id ?? 0;
    await waitFor('renew checkpointing', async () => (await completed()) >= 2, 90_000);
    const before = await jobs.get('renew');
    const podsOf = async () =>
      (await core.listNamespacedPod({ namespace: nsA, labelSelector: 'sluice.dev/job=renew' })).items
        .map((p) => `${p.metadata!.name}/${p.metadata!.uid}`)
        .sort();
    const pods = await podsOf();
    const read = async () => (await core.readNamespacedSecret({ namespace: nsA, name: secretName })).data!;
    const minted = await read();
    const text = (b64: string | undefined) => Buffer.from(b64 ?? '', 'base64').toString('utf8');
    const projected = (pod: string) =>
      readFileSync(
        join(env!.state.workDir, `workers-${nsA}`, 'volumes', pod, 'storage-credentials', 'accessKey'),
        'utf8',
      );
    expect(projected('renew-1-0')).toBe(text(minted.accessKey));

    // Issued a day ago: past half-life, so the next reconcile mints new credentials.
    const dayAgo = new Date(Date.now() - 24 * 3600_000).toISOString();
    await core.replaceNamespacedSecret({
      namespace: nsA,
      name: secretName,
      body: {
        ...(await core.readNamespacedSecret({ namespace: nsA, name: secretName })),
        data: { ...minted, issuedAt: Buffer.from(dayAgo).toString('base64') },
      },
    });
    const renewed = await waitFor(
      'renewed credentials',
      async () => {
        const d = await read();
        return d.accessKey !== minted.accessKey && d;
      },
      30_000,
    );
    expect(Date.parse(text(renewed.issuedAt))).toBeGreaterThan(Date.now() - 60_000);
    expect(Date.parse(text(renewed.expiration))).toBeGreaterThan(Date.now() + 6 * 3600_000);
    // The running pods' mounted Secret shows the new keys (the runtime re-reads them:
    // runtime-credential-renewal), and checkpoints go on in the same attempt, same pods.
    await waitFor(
      'projected renewal',
      async () => projected('renew-1-0') === text(renewed.accessKey),
      10_000,
    );
    const last = await completed();
    await waitFor('checkpoints after the renewal', async () => (await completed()) >= last + 2, 60_000);
    expect((await jobs.get('renew')).status?.attempt).toBe(before.status?.attempt);
    expect(await podsOf()).toEqual(pods);
  });
});

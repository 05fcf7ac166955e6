/**
 * Proves the integration harness is real: the CRD is served by a real kube-apiserver backed by
 * etcd, schema violations are rejected by the API server, watches deliver updates, and MinIO
 * stores and returns objects (on a port it accepts).
 */
import { CustomObjectsApi, KubernetesObjectApi, Watch } from '@kubernetes/client-node';
import { setupTestEnv, type TestEnv } from '../harness/env.ts';
import { MINIO_DEFAULT_CONSOLE_PORT, minioApiPort } from '../harness/minio-server.ts';

const group = 'sluice.dev';
const version = 'v1alpha1';
const plural = 'streamjobs';

function streamJob(name: string, spec: Record<string, unknown>) {
  return { apiVersion: `${group}/${version}`, kind: 'StreamJob', metadata: { name }, spec };
}

function apiMessage(err: unknown): string {
  const e = err as { code?: number; body?: unknown };
  const body = typeof e.body === 'string' ? (JSON.parse(e.body) as { message?: string }) : e.body;
  return `${e.code}: ${(body as { message?: string } | undefined)?.message ?? String(err)}`;
}

describe('integration harness', () => {
  let env: TestEnv;
  let objects: CustomObjectsApi;

  beforeAll(async () => {
    env = await setupTestEnv('harness');
    objects = env.kubeConfig.makeApiClient(CustomObjectsApi);
  });
  afterAll(() => env.cleanup());

  it('serves the StreamJob CRD: an object round-trips with defaults applied', async () => {
    const body = streamJob('roundtrip', {
      image: 'sluice-runtime:dev',
      job: { entry: 'wordcount', config: { a: 1 } },
    });
    await objects.createNamespacedCustomObject({ group, version, plural, namespace: env.namespace, body });
    const got = (await objects.getNamespacedCustomObject({
      group,
      version,
      plural,
      namespace: env.namespace,
      name: 'roundtrip',
    })) as { spec: Record<string, unknown>; metadata: { uid?: string } };
    expect(got.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(got.spec).toMatchObject({
      image: 'sluice-runtime:dev',
      job: { entry: 'wordcount', config: { a: 1 } },
      parallelism: 1,
      maxParallelism: 128,
      state: 'running',
      upgradeMode: 'savepoint',
    });
  });

  it('rejects an object that violates the schema with the API server message', async () => {
    const body = streamJob('invalid', { image: 'x', job: { entry: 'wordcount' }, parallelism: -2 });
    await expect(
      objects
        .createNamespacedCustomObject({ group, version, plural, namespace: env.namespace, body })
        .catch((e) => {
          throw new Error(apiMessage(e));
        }),
    ).rejects.toThrow(
      /^422: .*spec.parallelism: Invalid value: -2: spec.parallelism in body should be greater than or equal to 1/,
    );
  });

  it('delivers an update through a watch', async () => {
    const client = KubernetesObjectApi.makeApiClient(env.kubeConfig);
    await client.create({
      ...streamJob('watched', { image: 'a', job: { entry: 'wordcount' } }),
      metadata: { name: 'watched', namespace: env.namespace },
    });
    const seen = new Promise<string>((resolveSeen, reject) => {
      const watch = new Watch(env.kubeConfig);
      void watch
        .watch(
          `/apis/${group}/${version}/namespaces/${env.namespace}/${plural}`,
          { fieldSelector: 'metadata.name=watched' },
          (phase, obj: { spec?: { image?: string } }) => {
            if (phase === 'MODIFIED' && obj.spec?.image === 'b') resolveSeen(obj.spec.image);
          },
          (err) => (err ? reject(err) : undefined),
        )
        .then((req) => seen.finally(() => req.abort()));
    });
    await new Promise((r) => setTimeout(r, 300));
    await objects.patchNamespacedCustomObject({
      group,
      version,
      plural,
      namespace: env.namespace,
      name: 'watched',
      body: [{ op: 'replace', path: '/spec/image', value: 'b' }],
    });
    await expect(seen).resolves.toBe('b');
  });

  it('writes an object to MinIO and reads it back', async () => {
    const payload = Buffer.from(`sluice ${Date.now()}`);
    await env.minio.putObject(env.bucket, 'dir/hello.txt', payload);
    const stream = await env.minio.getObject(env.bucket, 'dir/hello.txt');
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).equals(payload)).toBe(true);
    const stat = await env.minio.statObject(env.bucket, 'dir/hello.txt');
    expect(stat.size).toBe(payload.length);
  });

  it('never gives MinIO its default console port as API port, which it refuses with the console off', async () => {
    const offered = [MINIO_DEFAULT_CONSOLE_PORT, 20_000];
    await expect(minioApiPort(async () => offered.shift()!)).resolves.toBe(20_000);
  });
});

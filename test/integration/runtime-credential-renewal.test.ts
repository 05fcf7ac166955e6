/**
 * A running worker's object store follows its mounted credentials Secret (docs/security.md
 * "Per-job storage credentials", runtime-image/src/io/credential-files.ts): one ObjectStore,
 * created with the first STS session's keys, signs with the second session's keys once the
 * Secret is updated and the volume re-projected — no new client, no restart. The two sessions
 * (real MinIO STS, minted as the operator mints them) may write disjoint prefixes, so which keys
 * signed a request shows in what MinIO allows.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { sessionPolicy } from '../../operator/src/streamjob/session-policy.ts';
import { assumeRole, type SessionCredentials } from '../../operator/src/streamjob/sts-session.ts';
import { ObjectStore } from '../../runtime-image/src/io/object-store.ts';
import { setupTestEnv, type TestEnv } from '../harness/env.ts';
import { SecretVolume } from '../harness/secret-volume.ts';

describe('runtime: storage credentials renewed under a running worker', () => {
  let env: TestEnv | undefined;

  beforeAll(async () => {
    env = await setupTestEnv('runtime-credential-renewal');
  });
  afterAll(() => env?.cleanup());

  const mint = (prefix: string): Promise<SessionCredentials> =>
    assumeRole({
      endpoint: env!.state.minio.url,
      credentials: { accessKey: env!.state.minio.accessKey, secretKey: env!.state.minio.secretKey },
      policy: JSON.stringify(
        sessionPolicy({ readWrite: [{ bucket: env!.bucket, prefix, source: 'test' }], readOnly: [] }),
      ),
      durationSeconds: 900,
      timeoutMs: 10_000,
      signal: new AbortController().signal,
    });
  const data = (c: SessionCredentials) => ({
    accessKey: c.accessKey,
    secretKey: c.secretKey,
    sessionToken: c.sessionToken,
  });
  const codeOf = async (op: Promise<unknown>): Promise<string> =>
    op.then(
      () => '',
      (err: { code?: string }) => err.code ?? String(err),
    );

  it('signs with the renewed keys once the mounted Secret changes', async () => {
    const core = env!.kubeConfig.makeApiClient(CoreV1Api);
    const [first, second] = [await mint('a/'), await mint('b/')];
    expect(second.accessKey).not.toBe(first.accessKey);
    await core.createNamespacedSecret({
      namespace: env!.namespace,
      body: { metadata: { name: 'creds' }, stringData: data(first) },
    });
    const volume = new SecretVolume(
      core,
      env!.namespace,
      'creds',
      join(env!.state.workDir, `vol-${env!.namespace}`),
    );
    await volume.sync();
    const store = ObjectStore.fromConfig({
      endpoint: env!.state.minio.url,
      bucket: env!.bucket,
      ...data(first),
      credentialsDir: volume.dir,
    });
    const body = Buffer.from('x');
    expect(await codeOf(store.put('a/1', body))).toBe('');
    expect(await codeOf(store.put('b/1', body))).toBe('AccessDenied');

    await core.replaceNamespacedSecret({
      namespace: env!.namespace,
      name: 'creds',
      body: { metadata: { name: 'creds' }, stringData: data(second) },
    });
    await volume.sync();
    await sleep(1100); // the provider looks at the files at most once a second
    expect(await codeOf(store.put('b/2', body))).toBe('');
    expect(await codeOf(store.put('a/2', body))).toBe('AccessDenied');
  });
});

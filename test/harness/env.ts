/**
 * What an integration test file imports: clients for the harness's real API server and MinIO,
 * and a namespace + bucket of its own so test files can run in parallel.
 *
 *   const env = await setupTestEnv('operator-core');
 *   afterAll(() => env.cleanup());
 */
import { randomBytes } from 'node:crypto';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { Client as MinioClient } from 'minio';
import { readHarnessState, type HarnessState } from './state.ts';

/** A test file's slice of the harness. */
export interface TestEnv {
  state: HarnessState;
  /** Admin credentials for the harness's kube-apiserver. */
  kubeConfig: KubeConfig;
  /** Path of the same credentials as a kubeconfig file (for kubectl and child processes). */
  kubeconfigPath: string;
  /** A namespace created for this file; it enforces the `restricted` Pod Security Standard. */
  namespace: string;
  /** A bucket created for this file. */
  bucket: string;
  minio: MinioClient;
  /** Deletes the namespace and the bucket with its objects. */
  cleanup(): Promise<void>;
}

/** A KubeConfig with the harness's admin credentials. */
export function harnessKubeConfig(state: HarnessState = readHarnessState()): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(state.controlPlane.kubeconfigPath);
  return kc;
}

/** A `minio` client for the harness's MinIO server. */
export function harnessMinio(state: HarnessState = readHarnessState()): MinioClient {
  const { endPoint, port, useSSL, accessKey, secretKey } = state.minio;
  return new MinioClient({ endPoint, port, useSSL, accessKey, secretKey });
}

/** Removes every object of `bucket`, then the bucket. Missing buckets are fine. */
export async function removeBucket(minio: MinioClient, bucket: string): Promise<void> {
  if (!(await minio.bucketExists(bucket))) return;
  const names: string[] = [];
  for await (const obj of minio.listObjectsV2(bucket, '', true)) {
    if (obj.name) names.push(obj.name);
  }
  if (names.length > 0) await minio.removeObjects(bucket, names);
  await minio.removeBucket(bucket);
}

/**
 * Creates a namespace and a bucket named `<prefix>-<random>` (lowercased, ≤ 40 chars).
 * @throws Error from the API server or MinIO when either cannot be created.
 */
export async function setupTestEnv(prefix: string): Promise<TestEnv> {
  const state = readHarnessState();
  const kubeConfig = harnessKubeConfig(state);
  const minio = harnessMinio(state);
  const name = `${prefix
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 30)}-${randomBytes(3).toString('hex')}`;
  const core = kubeConfig.makeApiClient(CoreV1Api);
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
  await minio.makeBucket(name);
  return {
    state,
    kubeConfig,
    kubeconfigPath: state.controlPlane.kubeconfigPath,
    namespace: name,
    bucket: name,
    minio,
    async cleanup() {
      await core.deleteNamespace({ name }).catch(() => undefined);
      await removeBucket(minio, name);
    },
  };
}

/**
 * Installing Sluice with Helm on a real cluster: the chart with its dev MinIO, from the locally
 * built images, in a namespace that enforces the `restricted` Pod Security Standard. Asserts
 * what a user relies on afterwards: the release is deployed, the CRD is established, the
 * operator runs as uid 65532 and leads, MinIO serves the default bucket, and the operator's log
 * does not contain the storage credentials.
 */
import { jest } from '@jest/globals';
import {
  installChart,
  helm,
  kubectlJson,
  kubectlOk,
  mc,
  minioDeployment,
  operatorDeployment,
  requireCluster,
  systemNamespace,
  waitFor,
  release,
} from './cluster.ts';

jest.setTimeout(600_000);

type Condition = { type: string; status: string };
type Deployment = {
  metadata: { generation: number };
  spec: { template: { spec: { containers: { image: string; imagePullPolicy: string }[] } } };
  status: {
    observedGeneration?: number;
    availableReplicas?: number;
    updatedReplicas?: number;
    replicas?: number;
  };
};
type Pod = {
  metadata: { name: string; deletionTimestamp?: string };
  spec: {
    securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; seccompProfile?: { type: string } };
    containers: {
      securityContext?: {
        readOnlyRootFilesystem?: boolean;
        allowPrivilegeEscalation?: boolean;
        capabilities?: { drop?: string[] };
      };
    }[];
  };
  status: { phase: string; conditions?: Condition[] };
};

describe('helm install of the chart with the dev MinIO', () => {
  let helmOutput = '';

  beforeAll(async () => {
    await requireCluster();
    helmOutput = await installChart();
  });

  it('deploys the release', async () => {
    expect(helmOutput).toMatch(/STATUS: deployed/);
    const status = JSON.parse(await helm(['status', release, '-n', systemNamespace, '-o', 'json'])) as {
      info: { status: string };
    };
    expect(status.info.status).toBe('deployed');
  });

  it('establishes the StreamJob CRD', async () => {
    const crd = await kubectlJson<{ status: { conditions: Condition[] } }>([
      'get',
      'crd',
      'streamjobs.sluice.dev',
    ]);
    expect(crd.status.conditions).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'Established', status: 'True' })]),
    );
  });

  it('runs the operator and MinIO from the local images in a restricted namespace', async () => {
    const ns = await kubectlJson<{ metadata: { labels: Record<string, string> } }>([
      'get',
      'ns',
      systemNamespace,
    ]);
    expect(ns.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
    for (const [name, image] of [
      [operatorDeployment, 'sluice-operator:dev'],
      [minioDeployment, 'sluice-minio:dev'],
    ] as const) {
      const d = await kubectlJson<Deployment>(['-n', systemNamespace, 'get', 'deployment', name]);
      expect(d.spec.template.spec.containers[0]).toMatchObject({ image, imagePullPolicy: 'Never' });
      expect(d.status.observedGeneration).toBe(d.metadata.generation);
      expect(d.status.availableReplicas).toBeGreaterThanOrEqual(1);
      expect(d.status.updatedReplicas).toBe(d.status.replicas);
    }
    const pods = await kubectlJson<{ items: Pod[] }>([
      '-n',
      systemNamespace,
      'get',
      'pods',
      '-l',
      'app.kubernetes.io/component=operator',
    ]);
    const running = pods.items.filter((p) => !p.metadata.deletionTimestamp && p.status.phase === 'Running');
    expect(running.length).toBeGreaterThanOrEqual(1);
    for (const p of running) {
      expect(p.spec.securityContext).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 65532,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(p.spec.containers[0]?.securityContext).toMatchObject({
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
      });
    }
  });

  it('runs the operator process as uid 65532 on a read-only root filesystem', async () => {
    const out = await kubectlOk([
      '-n',
      systemNamespace,
      'exec',
      `deployment/${operatorDeployment}`,
      '--',
      'node',
      '-e',
      `const fs = require('node:fs');
       let rootWritable = true;
       try { fs.writeFileSync('/app/e2e-probe', 'x'); } catch { rootWritable = false; }
       console.log(JSON.stringify({ uid: process.getuid(), gid: process.getgid(), rootWritable, node: process.version }));`,
    ]);
    expect(JSON.parse(out)).toEqual({ uid: 65532, gid: 65532, rootWritable: false, node: 'v24.11.1' });
  });

  it('elects the operator pod leader', async () => {
    await waitFor(
      'the operator to hold its Lease',
      async () => {
        const lease = await kubectlJson<{ spec: { holderIdentity?: string } }>([
          '-n',
          systemNamespace,
          'get',
          'lease',
          operatorDeployment,
        ]);
        const pods = await kubectlJson<{ items: Pod[] }>([
          '-n',
          systemNamespace,
          'get',
          'pods',
          '-l',
          'app.kubernetes.io/component=operator',
        ]);
        const holder = lease.spec.holderIdentity ?? '';
        const ready = pods.items.find(
          (p) =>
            holder.startsWith(`${p.metadata.name}_`) &&
            p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
        );
        return ready ? { done: true, value: holder } : { done: false, observed: `holder '${holder}'` };
      },
      60_000,
    );
  });

  it('serves the default bucket from the dev MinIO', async () => {
    const values = JSON.parse(
      await helm(['get', 'values', release, '-n', systemNamespace, '--all', '-o', 'json']),
    ) as {
      storage: { bucket: string };
    };
    const buckets = (await mc(['ls', '--json', 'dev/']))
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => (JSON.parse(l) as { key: string }).key.replace(/\/$/, ''));
    expect(buckets).toContain(values.storage.bucket);
  });

  it('keeps the storage credentials out of the operator log', async () => {
    const secret = await kubectlJson<{ data: Record<string, string> }>([
      '-n',
      systemNamespace,
      'get',
      'secret',
      minioDeployment,
    ]);
    const secretKey = Buffer.from(secret.data.secretKey ?? '', 'base64').toString('utf8');
    expect(secretKey.length).toBeGreaterThanOrEqual(16);
    const log = await kubectlOk([
      '-n',
      systemNamespace,
      'logs',
      `deployment/${operatorDeployment}`,
      '--tail=-1',
    ]);
    expect(log.length).toBeGreaterThan(0);
    // A boolean, so a failure cannot print the secret.
    expect(log.includes(secretKey)).toBe(false);
  });
});

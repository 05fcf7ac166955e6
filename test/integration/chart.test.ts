/**
 * The Helm chart: lints, renders for both RBAC scopes, keeps its CRD copy in sync with crds/,
 * rejects bad values with the schema's message, and every rendered object is accepted by the
 * real kube-apiserver (server-side dry run, so schemas, RBAC and Pod Security are checked).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { setupTestEnv, type TestEnv } from '../harness/env.ts';
import { repoRoot, toolPath } from '../harness/paths.ts';

const chart = join(repoRoot, 'charts', 'sluice');

function helm(args: string[]): string {
  return execFileSync(toolPath('helm'), args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function helmError(args: string[]): string {
  try {
    helm(args);
  } catch (err) {
    return String((err as { stderr?: string }).stderr);
  }
  throw new Error(`helm ${args.join(' ')} succeeded but was expected to fail`);
}

type K8sObject = { kind: string; metadata: { name: string; namespace?: string } };

function render(namespace: string, sets: string[] = []): K8sObject[] {
  const out = helm([
    'template',
    'sluice',
    chart,
    '--namespace',
    namespace,
    '--kube-version',
    '1.34.4',
    ...sets.flatMap((s) => ['--set', s]),
  ]);
  return parseAllDocuments(out)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

describe('helm chart', () => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await setupTestEnv('chart');
  });
  afterAll(() => env.cleanup());

  it('passes helm lint', () => {
    expect(helm(['lint', chart])).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  it('ships the operator RBAC rules of operator/config/rbac (run `make chart-sync` after changing them)', () => {
    expect(readFileSync(join(chart, 'files', 'rbac', 'role.yaml'), 'utf8')).toBe(
      readFileSync(join(repoRoot, 'operator', 'config', 'rbac', 'role.yaml'), 'utf8'),
    );
  });

  it('ships the same CRD as crds/ (run `make chart-sync` after changing it)', () => {
    const source = readdirSync(join(repoRoot, 'crds')).filter((f) => f.endsWith('.yaml'));
    expect(readdirSync(join(chart, 'files', 'crds')).sort()).toEqual(source.sort());
    for (const f of source) {
      expect(readFileSync(join(chart, 'files', 'crds', f), 'utf8')).toBe(
        readFileSync(join(repoRoot, 'crds', f), 'utf8'),
      );
    }
  });

  it('renders a ClusterRole for all namespaces, Roles for a namespace list, and read-only node access unless nodeLoss is off', () => {
    const all = render('sluice-system');
    expect(all.filter((o) => o.kind === 'ClusterRole').map((o) => o.metadata.name)).toEqual([
      'sluice-operator',
      'sluice-operator-nodes',
    ]);
    // Lost-node detection reads Nodes cluster-wide and the kubelets' Leases, nothing else.
    const nodes = all.find(
      (o) => o.kind === 'ClusterRole' && o.metadata.name === 'sluice-operator-nodes',
    ) as unknown as {
      rules: unknown[];
    };
    expect(nodes.rules).toEqual([{ apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] }]);
    const leases = all.find(
      (o) => o.kind === 'Role' && o.metadata.name === 'sluice-operator-node-leases',
    ) as unknown as {
      metadata: { namespace: string };
      rules: unknown[];
    };
    expect(leases.metadata.namespace).toBe('kube-node-lease');
    expect(leases.rules).toEqual([
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'list', 'watch'] },
    ]);
    const crd = all.find((o) => o.kind === 'CustomResourceDefinition') as unknown as {
      metadata: { annotations: Record<string, string> };
    };
    expect(crd.metadata.annotations['helm.sh/resource-policy']).toBe('keep');

    const scoped = render('sluice-system', ['operator.watchNamespaces={team-a,team-b}']);
    expect(scoped.filter((o) => o.kind === 'ClusterRole').map((o) => o.metadata.name)).toEqual([
      'sluice-operator-nodes',
    ]);
    const scopedNoNodes = render('sluice-system', [
      'operator.watchNamespaces={team-a}',
      'operator.nodeLoss=off',
    ]);
    expect(
      scopedNoNodes.some((o) => o.kind === 'ClusterRole' || o.metadata.namespace === 'kube-node-lease'),
    ).toBe(false);
    expect(
      scoped
        .filter((o) => o.kind === 'Role' && o.metadata.name === 'sluice-operator')
        .map((o) => o.metadata.namespace)
        .sort(),
    ).toEqual(['team-a', 'team-b']);
  });

  it('passes the per-job storage credentials lifetime to the operator (docs/operator.md)', () => {
    type Deployment = {
      kind: string;
      spec: { template: { spec: { containers: Array<{ env?: Array<{ name: string; value?: string }> }> } } };
    };
    const durationOf = (sets: string[]) =>
      (render('sluice-system', sets) as unknown as Deployment[])
        .filter((o) => o.kind === 'Deployment')
        .flatMap((d) => d.spec.template.spec.containers.flatMap((c) => c.env ?? []))
        .find((e) => e.name === 'SLUICE_STORAGE_CREDENTIALS_DURATION')?.value;
    expect(durationOf([])).toBe('12h');
    expect(durationOf(['storage.credentialsDuration=2h'])).toBe('2h');
    expect(helmError(['template', 'x', chart, '--set', 'storage.credentialsDuration=soon'])).toMatch(
      /credentialsDuration/,
    );
  });

  it('rejects invalid values with a readable message', () => {
    expect(helmError(['template', 'x', chart, '--set', 'operator.replicas=0'])).toMatch(
      /operator\/replicas.*minimum: got 0, want 1/,
    );
    expect(
      helmError(['template', 'x', chart, '--kube-version', '1.34.4', '--set', 'minio.enabled=false']),
    ).toMatch(/storage\.(endpoint|credentialsSecret) is required when minio.enabled is false/);
  });

  it('renders the dev Kafka broker only with kafka.enabled: Service <release>-kafka on 9092 as its advertised listener, restricted pod', () => {
    expect(render('sluice-system').filter((o) => o.metadata.name.endsWith('-kafka'))).toEqual([]);
    const objects = render('sluice-system', ['kafka.enabled=true']) as Array<
      K8sObject & { spec?: Record<string, unknown> }
    >;
    const svc = objects.find((o) => o.kind === 'Service' && o.metadata.name === 'sluice-kafka');
    expect(svc?.spec).toMatchObject({ ports: [{ name: 'kafka', port: 9092, targetPort: 'kafka' }] });
    const deploy = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'sluice-kafka');
    type PodSpec = {
      securityContext: Record<string, unknown>;
      containers: Array<{
        image: string;
        env: Array<{ name: string; value: string }>;
        securityContext: Record<string, unknown>;
        readinessProbe: unknown;
      }>;
    };
    const pod = (deploy?.spec as { template: { spec: PodSpec } }).template.spec;
    const c = pod.containers[0]!;
    expect(c.image).toBe('sluice-kafka:dev');
    expect(c.env).toContainEqual({ name: 'KAFKA_ADVERTISED_HOST', value: 'sluice-kafka.sluice-system.svc' });
    expect(c.readinessProbe).toMatchObject({ tcpSocket: { port: 'kafka' } });
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532 });
    expect(c.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
  });

  it('renders objects the real API server accepts (server-side dry run)', () => {
    const objects = render(env.namespace, ['kafka.enabled=true']).filter(
      (o) => o.kind !== 'CustomResourceDefinition',
    );
    const file = join(env.state.workDir, `chart-${env.namespace}.yaml`);
    writeFileSync(file, objects.map((o) => JSON.stringify(o)).join('\n---\n'));
    const out = execFileSync(
      toolPath('kubectl'),
      ['--kubeconfig', env.kubeconfigPath, 'apply', '--dry-run=server', '-f', file],
      { encoding: 'utf8' },
    );
    for (const o of objects) {
      expect(out).toContain(`${o.metadata.name} created (server dry run)`);
    }
  });
});

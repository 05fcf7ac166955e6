import { ENV } from '@sluice/api/protocol.ts';
import { JOB_UID, STORAGE, WORKER, makeJob } from '../../../test/harness/operator-fixtures.ts';
import {
  canonicalJson,
  desiredService,
  desiredWorkerPod,
  desiredWorkers,
  ownerReference,
  toResourceRequirements,
  workerEnv,
  workerHealthPort,
  workerSpecHash,
  type AttemptContext,
} from './desired-state.ts';
import { desiredStorageSecret } from './job-credentials.ts';
import { workerHost } from './names.ts';
import { desiredRole, desiredRoleBinding, desiredServiceAccount } from './worker-identity.ts';

const ctx = (over: Partial<AttemptContext> = {}): AttemptContext => ({
  job: makeJob(),
  storage: STORAGE,
  worker: WORKER,
  attempt: 3,
  ...over,
});

const owner = {
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'StreamJob',
  name: 'wc',
  uid: JOB_UID,
  controller: true,
  blockOwnerDeletion: true,
};

describe('desiredWorkers', () => {
  it('makes one pod per subtask index named <job>-<attempt>-<index>', () => {
    const pods = desiredWorkers(ctx({ job: makeJob({ parallelism: 3 }) }), 'abc');
    expect(pods.map((p) => p.metadata!.name)).toEqual(['wc-3-0', 'wc-3-1', 'wc-3-2']);
    expect(pods.map((p) => p.metadata!.labels!['sluice.dev/subtask'])).toEqual(['0', '1', '2']);
  });

  it('labels, annotates and owns each pod, user labels and annotations included but never over ours', () => {
    const job = makeJob({
      podTemplate: {
        terminationGracePeriodSeconds: 30,
        metadata: {
          labels: { team: 'data', 'app.kubernetes.io/component': 'mine' },
          annotations: { note: 'x' },
        },
      },
    });
    const pod = desiredWorkerPod(ctx({ job }), 1, 'abc');
    expect(pod.metadata).toMatchObject({
      namespace: 'ns',
      labels: {
        team: 'data',
        'app.kubernetes.io/name': 'sluice',
        'app.kubernetes.io/instance': 'wc',
        'app.kubernetes.io/managed-by': 'sluice-operator',
        'app.kubernetes.io/component': 'worker',
        'sluice.dev/job': 'wc',
        'sluice.dev/attempt': '3',
        'sluice.dev/subtask': '1',
      },
      annotations: { note: 'x', 'sluice.dev/spec-hash': 'abc' },
      ownerReferences: [owner],
    });
  });

  it('gives a rocksdb worker its local-state volume, environment and, for a claimed volume, fsGroup', () => {
    const heap = desiredWorkerPod(ctx(), 0, 'abc');
    expect(heap.spec!.volumes!.map((v) => v.name)).not.toContain('state');
    const job = makeJob({
      stateBackend: { type: 'rocksdb', localStorage: { size: '20Gi', storageClassName: 'fast' } },
    });
    const pod = desiredWorkerPod(ctx({ job }), 0, 'abc');
    const c = pod.spec!.containers[0]!;
    expect(c.volumeMounts).toContainEqual({ name: 'state', mountPath: '/var/lib/sluice/state' });
    expect(c.env).toContainEqual({ name: ENV.stateBackend, value: 'rocksdb' });
    expect(c.env).toContainEqual({ name: ENV.stateDir, value: '/var/lib/sluice/state' });
    expect(pod.spec!.volumes!.find((v) => v.name === 'state')?.ephemeral).toBeDefined();
    expect(pod.spec!.securityContext!.fsGroup).toBe(65532);
    // An emptyDir is writable by any user: no fsGroup is added for it.
    const emptyDir = desiredWorkerPod(ctx({ job: makeJob({ stateBackend: { type: 'rocksdb' } }) }), 0, 'abc');
    expect(emptyDir.spec!.securityContext!.fsGroup).toBeUndefined();
  });

  it('changes the spec hash for a rocksdb backend but not for the default heap one', () => {
    const base = workerSpecHash(makeJob(), STORAGE, WORKER);
    expect(workerSpecHash(makeJob({ stateBackend: { type: 'heap' } }), STORAGE, WORKER)).toBe(base);
    expect(workerSpecHash(makeJob({ stateBackend: { type: 'rocksdb' } }), STORAGE, WORKER)).not.toBe(base);
  });

  it('passes the restricted Pod Security Standard', () => {
    const pod = desiredWorkerPod(ctx(), 0, 'abc');
    const spec = pod.spec!;
    expect(spec.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 65532,
      runAsGroup: 65532,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    const c = spec.containers[0]!;
    expect(c.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    });
    // Writable: only /tmp. The credentials Secret is mounted read-only (renewals reach running workers).
    expect(c.volumeMounts).toEqual([
      { name: 'tmp', mountPath: '/tmp' },
      { name: 'storage-credentials', mountPath: '/var/run/sluice/storage-credentials', readOnly: true },
    ]);
    expect(spec.volumes).toEqual([
      { name: 'tmp', emptyDir: {} },
      { name: 'storage-credentials', secret: { secretName: 'wc-storage-credentials' } },
    ]);
    expect(spec.hostNetwork).toBeUndefined();
  });

  it('gives each pod its DNS identity, service account and a never-restart policy', () => {
    const spec = desiredWorkerPod(ctx(), 1, 'abc').spec!;
    expect(spec).toMatchObject({
      hostname: 'wc-3-1',
      subdomain: 'wc-workers',
      serviceAccountName: 'wc-worker',
      automountServiceAccountToken: true,
      restartPolicy: 'Never',
      enableServiceLinks: false,
      terminationGracePeriodSeconds: 30,
    });
    expect(spec.containers[0]!.ports).toEqual([
      { name: 'data', containerPort: 7070, protocol: 'TCP' },
      { name: 'health', containerPort: 7071, protocol: 'TCP' },
    ]);
  });

  it('is Ready only when the runtime answers /readyz on the health port it was told to open', () => {
    const c = desiredWorkerPod(ctx(), 0, 'abc').spec!.containers[0]!;
    expect(c.env!.find((e) => e.name === ENV.healthPort)).toEqual({ name: ENV.healthPort, value: '7071' });
    expect(c.readinessProbe).toEqual({
      httpGet: { path: '/readyz', port: 'health', scheme: 'HTTP' },
      periodSeconds: 1,
      timeoutSeconds: 2,
      successThreshold: 1,
      failureThreshold: 5,
    });
    // Not restarted by the kubelet: a failed worker fails the attempt (restartPolicy Never).
    expect(c.livenessProbe).toBeUndefined();
    expect(c.startupProbe).toBeUndefined();
  });

  it('keeps the health port apart from the data port, or uses the configured one', () => {
    const port = (worker: typeof WORKER) => {
      const c = desiredWorkerPod(ctx({ worker }), 0, 'abc').spec!.containers[0]!;
      const env = c.env!.find((e) => e.name === ENV.healthPort)?.value;
      const containerPort = c.ports!.find((p) => p.name === 'health')?.containerPort;
      expect(env).toBe(String(containerPort));
      return containerPort;
    };
    expect(port({ ...WORKER, dataPort: 7071 })).toBe(7072);
    expect(port({ ...WORKER, healthPort: 9000 })).toBe(9000);
    expect(workerHealthPort(WORKER)).toBe(7071);
  });

  it('applies the pod template: resources, scheduling, pull secrets, ids', () => {
    const job = makeJob({
      podTemplate: {
        terminationGracePeriodSeconds: 5,
        resources: { limits: { cpu: 2, memory: '1Gi' }, requests: { cpu: '500m' } },
        nodeSelector: { pool: 'stream' },
        tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'stream', effect: 'NoSchedule' }],
        affinity: { nodeAffinity: {} },
        priorityClassName: 'high',
        imagePullSecrets: [{ name: 'regcred' }],
        securityContext: { runAsUser: 1000, runAsGroup: 2000, fsGroup: 3000 },
        env: [{ name: 'LOG_LEVEL', value: 'debug' }],
      },
    });
    const spec = desiredWorkerPod(ctx({ job }), 0, 'abc').spec!;
    expect(spec.containers[0]!.resources).toEqual({
      limits: { cpu: '2', memory: '1Gi' },
      requests: { cpu: '500m' },
    });
    expect(spec).toMatchObject({
      nodeSelector: { pool: 'stream' },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'stream', effect: 'NoSchedule' }],
      affinity: { nodeAffinity: {} },
      priorityClassName: 'high',
      imagePullSecrets: [{ name: 'regcred' }],
      terminationGracePeriodSeconds: 5,
      securityContext: { runAsUser: 1000, runAsGroup: 2000, fsGroup: 3000 },
    });
    expect(spec.containers[0]!.env!.at(-1)).toEqual({ name: 'LOG_LEVEL', value: 'debug' });
  });

  it("spreads an attempt's workers over nodes by default; the pod template replaces or removes the spread", () => {
    const spread = desiredWorkerPod(ctx({ attempt: 3 }), 0, 'abc').spec!.topologySpreadConstraints;
    expect(spread).toEqual([
      {
        maxSkew: 1,
        topologyKey: 'kubernetes.io/hostname',
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: {
          matchLabels: {
            'sluice.dev/job': 'wc',
            'app.kubernetes.io/component': 'worker',
            'sluice.dev/attempt': '3',
          },
        },
      },
    ]);
    const own = [{ maxSkew: 2, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' }];
    const withOwn = makeJob({
      podTemplate: { terminationGracePeriodSeconds: 30, topologySpreadConstraints: own },
    });
    expect(desiredWorkerPod(ctx({ job: withOwn }), 0, 'abc').spec!.topologySpreadConstraints).toEqual(own);
    const none = makeJob({
      podTemplate: { terminationGracePeriodSeconds: 30, topologySpreadConstraints: [] },
    });
    expect(desiredWorkerPod(ctx({ job: none }), 0, 'abc').spec!.topologySpreadConstraints).toEqual([]);
  });
});

describe('workerEnv', () => {
  it('sets every protocol variable, credentials only through secretKeyRef', () => {
    const env = workerEnv(ctx({ restoreFrom: 'prod/ns/wc/uid/checkpoints/chk-9' }), 1);
    const byName = Object.fromEntries(env.map((e) => [e.name, e.value ?? e.valueFrom]));
    expect(byName).toEqual({
      [ENV.jobName]: 'wc',
      [ENV.jobNamespace]: 'ns',
      [ENV.jobUid]: JOB_UID,
      [ENV.jobEntry]: 'wordcount',
      [ENV.jobConfig]: '{"input":{"generator":{"lines":10}}}',
      [ENV.subtaskIndex]: '1',
      [ENV.parallelism]: '2',
      [ENV.maxParallelism]: '128',
      [ENV.attempt]: '3',
      [ENV.podName]: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } },
      [ENV.podNamespace]: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } },
      [ENV.peerService]: 'wc-workers',
      [ENV.dataPort]: '7070',
      [ENV.healthPort]: '7071',
      [ENV.storageEndpoint]: 'http://minio.sluice-system:9000',
      [ENV.storageBucket]: 'sluice',
      [ENV.storagePrefix]: `prod/ns/wc/${JOB_UID}`,
      [ENV.storageAccessKey]: { secretKeyRef: { name: 'wc-storage-credentials', key: 'accessKey' } },
      [ENV.storageSecretKey]: { secretKeyRef: { name: 'wc-storage-credentials', key: 'secretKey' } },
      [ENV.storageSessionToken]: {
        secretKeyRef: { name: 'wc-storage-credentials', key: 'sessionToken', optional: true },
      },
      [ENV.storageCredentialsDir]: '/var/run/sluice/storage-credentials',
      [ENV.restoreFrom]: 'prod/ns/wc/uid/checkpoints/chk-9',
      [ENV.allowNonRestoredState]: 'false',
      [ENV.checkpointIntervalMs]: '60000',
      [ENV.checkpointTimeoutMs]: '600000',
      [ENV.controlMode]: 'pod',
      [ENV.shuffleToken]: { secretKeyRef: { name: 'wc-shuffle-token', key: 'token' } },
      [ENV.snapshotKey]: { secretKeyRef: { name: 'wc-snapshot-key', key: 'key' } },
    });
  });

  it('leaves the restore source empty for a fresh start and serializes an absent config as {}', () => {
    const env = workerEnv(ctx({ job: makeJob({ job: { entry: 'nexmark-q5' } }) }), 0);
    expect(env.find((e) => e.name === ENV.restoreFrom)?.value).toBe('');
    expect(env.find((e) => e.name === ENV.jobConfig)?.value).toBe('{}');
  });
});

describe('workerSpecHash', () => {
  const hash = (spec: Parameters<typeof makeJob>[0]) => workerSpecHash(makeJob(spec), STORAGE, WORKER);

  it('is stable and ignores settings that need no new pods', () => {
    const base = hash({});
    expect(hash({})).toBe(base);
    expect(base).toMatch(/^[0-9a-f]{16}$/);
    expect(hash({ state: 'suspended' })).toBe(base);
    expect(hash({ upgradeMode: 'stateless' })).toBe(base);
    expect(hash({ checkpoint: { intervalSeconds: 5, timeoutSeconds: 5, retained: 1 } })).toBe(base);
    expect(hash({ initialSavepoint: 's3://b/sp' })).toBe(base);
  });

  it('changes with anything that shapes a worker pod', () => {
    const base = hash({});
    for (const change of [
      { image: 'sluice-runtime:2' },
      { parallelism: 3 },
      { maxParallelism: 256 },
      { job: { entry: 'wordcount', config: { input: { generator: { lines: 11 } } } } },
      { allowNonRestoredState: true },
      { podTemplate: { terminationGracePeriodSeconds: 30, env: [{ name: 'A', value: '1' }] } },
    ]) {
      expect(hash(change)).not.toBe(base);
    }
    expect(workerSpecHash(makeJob(), { ...STORAGE, bucket: 'other' }, WORKER)).not.toBe(base);
    expect(workerSpecHash(makeJob(), STORAGE, { ...WORKER, runAsUser: 1 })).not.toBe(base);
  });

  it('is unchanged by an unset health port (no restart of running jobs)', () => {
    expect(workerSpecHash(makeJob(), STORAGE, { ...WORKER, healthPort: undefined })).toBe(hash({}));
  });

  it('does not depend on key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { y: 1, x: 0 }], c: undefined } })).toBe(
      '{"a":{"d":[2,{"x":0,"y":1}]},"b":1}',
    );
  });
});

describe('owned objects', () => {
  it('owns everything through one controller reference', () => {
    expect(ownerReference(makeJob())).toEqual(owner);
  });

  it('makes a headless Service that publishes not-ready workers', () => {
    expect(desiredService(makeJob(), WORKER)).toMatchObject({
      metadata: { name: 'wc-workers', namespace: 'ns', ownerReferences: [owner] },
      spec: {
        clusterIP: 'None',
        publishNotReadyAddresses: true,
        selector: { 'sluice.dev/job': 'wc', 'app.kubernetes.io/component': 'worker' },
        ports: [{ name: 'data', port: 7070, targetPort: 7070, protocol: 'TCP' }],
      },
    });
  });

  it("gives workers a service account whose token is not mounted by default and a Role on their job and their attempt's pods only", () => {
    expect(desiredServiceAccount(makeJob())).toMatchObject({
      metadata: { name: 'wc-worker', ownerReferences: [owner] },
      automountServiceAccountToken: false,
    });
    expect(desiredRole(makeJob(), ['wc-3-0', 'wc-3-1']).rules).toEqual([
      {
        apiGroups: [''],
        resources: ['pods'],
        verbs: ['get', 'list', 'watch', 'patch'],
        resourceNames: ['wc-3-0', 'wc-3-1'],
      },
      {
        apiGroups: ['sluice.dev'],
        resources: ['streamjobs'],
        verbs: ['get', 'list', 'watch'],
        resourceNames: ['wc'],
      },
    ]);
    // resourceNames: [] would grant every pod of the namespace.
    expect(desiredRole(makeJob(), []).rules).toEqual([]);
    expect(desiredRoleBinding(makeJob())).toMatchObject({
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'wc-worker' },
      subjects: [{ kind: 'ServiceAccount', name: 'wc-worker', namespace: 'ns' }],
    });
  });

  it('copies only the two credential keys', () => {
    const s = desiredStorageSecret(makeJob(), 'wc-storage-credentials', {
      accessKey: 'YQ==',
      secretKey: 'Yg==',
    });
    expect(s).toMatchObject({
      type: 'Opaque',
      metadata: { name: 'wc-storage-credentials', ownerReferences: [owner] },
    });
    expect(s.data).toEqual({ accessKey: 'YQ==', secretKey: 'Yg==' });
  });

  it('converts integer quantities to strings', () => {
    expect(toResourceRequirements({ limits: { cpu: 1 } })).toEqual({ limits: { cpu: '1' } });
  });

  it('refuses a job without uid (it could not be owned)', () => {
    const job = makeJob();
    delete job.metadata!.uid;
    expect(() => desiredService(job, WORKER)).toThrow(
      /StreamJob ns\/wc lacks metadata name, namespace or uid/,
    );
  });
});

describe('names', () => {
  it('agree with the runtime on how a worker is found', () => {
    expect(workerHost('wc', 'ns', 3, 7)).toBe('wc-3-7.wc-workers.ns.svc');
  });
});

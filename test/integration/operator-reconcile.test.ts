/**
 * The operator's reconcile loop against the real API server: the operator's Manager runs in
 * this process (real informers, queue, reconciler and clients; leader election off) watching
 * this file's namespace, which enforces the `restricted` Pod Security Standard. The test stands
 * in for the kubelet by writing pod status.
 */
import { join } from 'node:path';
import { jest } from '@jest/globals';
import {
  CoreV1Api,
  CustomObjectsApi,
  NetworkingV1Api,
  RbacAuthorizationV1Api,
  type V1Pod,
} from '@kubernetes/client-node';
import { ENV } from '@sluice/api/protocol.ts';
import { jobPrefix } from '@sluice/api/layout.ts';
import type { Condition, StreamJob } from '@sluice/api/streamjob.ts';
import {
  Jobs,
  apiMessage,
  createStorageSecret,
  eventsAbout,
  eventsWith,
  exampleJob,
  metricValue,
  startInProcessOperator,
  tokenKubeConfig,
  waitFor,
  type InProcessOperator,
} from '../harness/operator.ts';
import { setupTestEnv, type TestEnv } from '../harness/env.ts';
import { KubeletStandIn } from '../harness/kubelet-standin.ts';

// The integration project's testTimeout is not applied per project by jest 30; set it here.
jest.setTimeout(120_000);

const SECRET = 'sluice-storage-credentials';

function condition(job: StreamJob, type: string): Condition | undefined {
  return job.status?.conditions?.find((c) => c.type === type);
}

function envOf(pod: V1Pod): Record<string, unknown> {
  return Object.fromEntries(
    (pod.spec?.containers[0]?.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]),
  );
}

describe('operator reconcile (in-process, real API server)', () => {
  let env: TestEnv;
  let core: CoreV1Api;
  let rbac: RbacAuthorizationV1Api;
  let jobs: Jobs;
  let kubelet: KubeletStandIn;
  let operator: InProcessOperator;
  let uid: string;

  const selector = (job: string) => `sluice.dev/job=${job}`;
  const podsOf = async (job: string) =>
    (await core.listNamespacedPod({ namespace: env.namespace, labelSelector: selector(job) })).items.sort(
      (a, b) => a.metadata!.name!.localeCompare(b.metadata!.name!),
    );
  const podNames = async (job: string) => (await podsOf(job)).map((p) => p.metadata!.name!);

  beforeAll(async () => {
    env = await setupTestEnv('operator-reconcile');
    core = env.kubeConfig.makeApiClient(CoreV1Api);
    rbac = env.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
    jobs = new Jobs(env.kubeConfig, env.namespace);
    kubelet = new KubeletStandIn(env.kubeConfig, env.namespace);
    await createStorageSecret(env.kubeConfig, env.namespace, SECRET, env.state);
    operator = await startInProcessOperator({
      kubeConfig: env.kubeConfig,
      namespace: env.namespace,
      bucket: env.bucket,
      state: env.state,
      secret: SECRET,
      logFile: join(env.state.workDir, `operator-${env.namespace}.log`),
    });
  });

  afterAll(async () => {
    await operator?.stop();
    await env?.cleanup();
  });

  it('turns the wordcount example into worker pods, a headless Service and worker RBAC, all owned by the job', async () => {
    const manifest = exampleJob('wordcount.yaml');
    // last-state: the pods here are simulated, so there are no workers to take the
    // stop-with-savepoint that upgradeMode=savepoint makes suspends and spec changes wait for
    // (covered with real workers by test/integration/coordination-upgrade.test.ts).
    manifest.spec.upgradeMode = 'last-state';
    const created = await jobs.create({
      ...manifest,
      metadata: { ...manifest.metadata, namespace: env.namespace },
    });
    uid = created.metadata!.uid!;
    const owner = {
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'StreamJob',
      name: 'wordcount',
      uid,
      controller: true,
      blockOwnerDeletion: true,
    };

    const pods = await waitFor('two worker pods', async () => {
      const p = await podsOf('wordcount');
      return p.length === 2 && p;
    });
    expect(pods.map((p) => p.metadata!.name)).toEqual(['wordcount-1-0', 'wordcount-1-1']);
    for (const [i, pod] of pods.entries()) {
      expect(pod.metadata!.ownerReferences).toEqual([owner]);
      expect(pod.metadata!.labels).toMatchObject({
        'sluice.dev/job': 'wordcount',
        'sluice.dev/attempt': '1',
        'sluice.dev/subtask': String(i),
        'app.kubernetes.io/managed-by': 'sluice-operator',
        'app.kubernetes.io/component': 'worker',
      });
      const spec = pod.spec!;
      expect(spec.hostname).toBe(`wordcount-1-${i}`);
      expect(spec.subdomain).toBe('wordcount-workers');
      expect(spec.serviceAccountName).toBe('wordcount-worker');
      expect(spec.automountServiceAccountToken).toBe(true);
      expect(spec.restartPolicy).toBe('Never');
      expect(spec.securityContext).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 65532,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      const c = spec.containers[0]!;
      expect(c.image).toBe('sluice-runtime:dev');
      expect(c.securityContext).toEqual({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        capabilities: { drop: ['ALL'] },
      });
      expect(c.volumeMounts).toContainEqual(expect.objectContaining({ name: 'tmp', mountPath: '/tmp' }));
      expect(spec.volumes).toContainEqual(expect.objectContaining({ name: 'tmp', emptyDir: {} }));
      expect(c.resources).toEqual({
        requests: { cpu: '100m', memory: '128Mi' },
        limits: { memory: '256Mi' },
      });
      const e = envOf(pod);
      expect(e).toMatchObject({
        [ENV.jobName]: 'wordcount',
        [ENV.jobNamespace]: env.namespace,
        [ENV.jobUid]: uid,
        [ENV.jobEntry]: 'wordcount',
        [ENV.subtaskIndex]: String(i),
        [ENV.parallelism]: '2',
        [ENV.maxParallelism]: '128',
        [ENV.attempt]: '1',
        [ENV.peerService]: 'wordcount-workers',
        [ENV.dataPort]: '7070',
        [ENV.storageEndpoint]: env.state.minio.url,
        [ENV.storageBucket]: env.bucket,
        [ENV.storagePrefix]: jobPrefix('', env.namespace, 'wordcount', uid),
        [ENV.controlMode]: 'pod',
      });
      // A fresh start: the variable is present and empty (the API server drops empty values).
      expect(pod.spec!.containers[0]!.env!.find((v) => v.name === ENV.restoreFrom)?.value ?? '').toBe('');
      expect(JSON.parse(e[ENV.jobConfig] as string)).toEqual(manifest.spec.job.config);
      expect(e[ENV.podName]).toMatchObject({ fieldRef: { fieldPath: 'metadata.name' } });
      expect(e[ENV.podNamespace]).toMatchObject({ fieldRef: { fieldPath: 'metadata.namespace' } });
      expect(e[ENV.storageAccessKey]).toEqual({
        secretKeyRef: { name: 'wordcount-storage-credentials', key: 'accessKey' },
      });
      expect(e[ENV.storageSecretKey]).toEqual({
        secretKeyRef: { name: 'wordcount-storage-credentials', key: 'secretKey' },
      });
    }

    const svc = await core.readNamespacedService({ name: 'wordcount-workers', namespace: env.namespace });
    expect(svc.metadata!.ownerReferences).toEqual([owner]);
    expect(svc.spec).toMatchObject({
      clusterIP: 'None',
      publishNotReadyAddresses: true,
      selector: { 'sluice.dev/job': 'wordcount', 'app.kubernetes.io/component': 'worker' },
    });
    expect(svc.spec!.ports).toEqual([
      expect.objectContaining({ name: 'data', port: 7070, targetPort: 7070 }),
    ]);

    // The data port admits only this job's workers; the health port (readiness, metrics) is open.
    const policy = await env.kubeConfig
      .makeApiClient(NetworkingV1Api)
      .readNamespacedNetworkPolicy({ name: 'wordcount-workers', namespace: env.namespace });
    expect(policy.metadata!.ownerReferences).toEqual([owner]);
    const workers = {
      matchLabels: { 'sluice.dev/job': 'wordcount', 'app.kubernetes.io/component': 'worker' },
    };
    expect(policy.spec).toMatchObject({
      podSelector: workers,
      policyTypes: ['Ingress'],
      ingress: [
        { _from: [{ podSelector: workers }], ports: [{ port: 7070, protocol: 'TCP' }] },
        { ports: [{ port: 7071, protocol: 'TCP' }] },
      ],
    });
    expect(policy.spec!.ingress![1]!._from).toBeUndefined();

    const sa = await core.readNamespacedServiceAccount({
      name: 'wordcount-worker',
      namespace: env.namespace,
    });
    expect(sa.metadata!.ownerReferences).toEqual([owner]);
    expect(sa.automountServiceAccountToken).toBe(false);

    const role = await rbac.readNamespacedRole({ name: 'wordcount-worker', namespace: env.namespace });
    expect(role.metadata!.ownerReferences).toEqual([owner]);
    expect(role.rules).toEqual([
      expect.objectContaining({
        apiGroups: [''],
        resources: ['pods'],
        verbs: ['get', 'list', 'watch', 'patch'],
        resourceNames: ['wordcount-1-0', 'wordcount-1-1'],
      }),
      expect.objectContaining({
        apiGroups: ['sluice.dev'],
        resources: ['streamjobs'],
        verbs: ['get', 'list', 'watch'],
        resourceNames: ['wordcount'],
      }),
    ]);
    const binding = await rbac.readNamespacedRoleBinding({
      name: 'wordcount-worker',
      namespace: env.namespace,
    });
    expect(binding.metadata!.ownerReferences).toEqual([owner]);
    expect(binding.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'Role',
      name: 'wordcount-worker',
    });
    expect(binding.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'wordcount-worker', namespace: env.namespace },
    ]);

    // The job's credentials are minted for it (STS), never a copy of the operator's keys.
    const minted = await core.readNamespacedSecret({
      name: 'wordcount-storage-credentials',
      namespace: env.namespace,
    });
    const source = await core.readNamespacedSecret({ name: SECRET, namespace: env.namespace });
    expect(minted.metadata!.ownerReferences).toEqual([owner]);
    expect(Object.keys(minted.data ?? {}).sort()).toEqual([
      'accessKey',
      'expiration',
      'issuedAt',
      'policySha256',
      'secretKey',
      'sessionToken',
    ]);
    expect(minted.data!.accessKey).not.toEqual(source.data!.accessKey);
    expect(minted.data!.secretKey).not.toEqual(source.data!.secretKey);

    // The intent write (attempt 1) comes first; the observed status after it has Degraded too.
    const job = await waitFor('status of attempt 1', async () => {
      const j = await jobs.get('wordcount');
      return j.status?.workers?.total === 2 && condition(j, 'Degraded') !== undefined && j;
    });
    expect(job.status).toMatchObject({
      phase: 'Starting',
      attempt: 1,
      attemptReason: 'Created',
      workers: { ready: 0, total: 2 },
    });
    expect(condition(job, 'Ready')).toMatchObject({ status: 'False', reason: 'WorkersNotReady' });
    expect(condition(job, 'Progressing')).toMatchObject({ status: 'True', reason: 'WaitingForWorkers' });
    expect(condition(job, 'Degraded')).toMatchObject({ status: 'False', reason: 'AsExpected' });
    await eventsWith(env.kubeConfig, env.namespace, 'wordcount', [
      'AttemptStarted',
      'WorkersCreated',
      'Starting',
    ]);
  });

  it('becomes Ready, with observedGeneration equal to generation, once the workers are ready', async () => {
    expect(await kubelet.markAllReady(selector('wordcount'))).toEqual(['wordcount-1-0', 'wordcount-1-1']);
    const job = await waitFor('Ready=True', async () => {
      const j = await jobs.get('wordcount');
      return condition(j, 'Ready')?.status === 'True' && j;
    });
    expect(job.status!.observedGeneration).toBe(job.metadata!.generation);
    expect(job.status).toMatchObject({ phase: 'Running', workers: { ready: 2, total: 2 } });
    expect(condition(job, 'Ready')).toMatchObject({
      reason: 'WorkersReady',
      message: '2/2 workers of attempt 1 are ready',
      observedGeneration: job.metadata!.generation,
    });
    expect(condition(job, 'Progressing')).toMatchObject({ status: 'False', reason: 'Stable' });
    await waitFor('a Running event', async () =>
      (await eventsAbout(env.kubeConfig, env.namespace, 'wordcount')).some((e) => e.reason === 'Running'),
    );
  });

  it('keeps lastTransitionTime when a reconcile rewrites an unchanged condition', async () => {
    const before = condition(await jobs.get('wordcount'), 'Ready')!;
    // Let the wall clock move past the condition's second, so a wrongly reset time would differ.
    const second = Date.parse(before.lastTransitionTime);
    await waitFor('the next second', () => Date.now() >= second + 1100);
    const runs =
      (await metricValue(operator.url, 'controller_runtime_reconcile_total', { controller: 'streamjob' })) ??
      0;
    await jobs.annotate('wordcount', 'example.com/touched', String(Date.now()));
    await waitFor(
      'another reconcile',
      async () =>
        ((await metricValue(operator.url, 'controller_runtime_reconcile_total', {
          controller: 'streamjob',
        })) ?? 0) > runs,
    );
    expect(condition(await jobs.get('wordcount'), 'Ready')).toEqual(before);
  });

  it('replaces the whole attempt when a worker pod of a running job goes away', async () => {
    // A job of its own: the attempt numbers of `wordcount` stay as the later tests expect.
    const manifest = exampleJob('wordcount.yaml');
    manifest.spec.upgradeMode = 'last-state';
    manifest.spec.restartPolicy = { ...manifest.spec.restartPolicy, backoffSeconds: 1 };
    await jobs.create({ ...manifest, metadata: { name: 'gone', namespace: env.namespace } });
    await waitFor('pods of attempt 1', async () => (await podNames('gone')).length === 2);
    await kubelet.markAllReady(selector('gone'));
    await waitFor('Running', async () => (await jobs.get('gone')).status?.phase === 'Running');

    // A pod missing from an attempt that has run is a failed worker: recreating it in the same
    // attempt would restore the attempt's first snapshot and repeat committed output.
    await core.deleteNamespacedPod({ name: 'gone-1-1', namespace: env.namespace });
    const restarted = await waitFor('attempt 2 after the deletion', async () => {
      const j = await jobs.get('gone');
      return (j.status?.attempt ?? 0) >= 2 && j;
    });
    expect(restarted.status).toMatchObject({ attempt: 2, attemptReason: 'WorkerFailed', restarts: 1 });
    await waitFor(
      'both pods of attempt 2',
      async () => (await podNames('gone')).join() === 'gone-2-0,gone-2-1',
      30_000,
    );
    const job = await jobs.get('gone');
    expect(condition(job, 'Ready')).toMatchObject({ status: 'False' });
    expect(condition(job, 'Progressing')).toMatchObject({ status: 'True' });
    await kubelet.markAllReady(selector('gone'));
    await waitFor(
      'Ready=True again',
      async () => condition(await jobs.get('gone'), 'Ready')?.status === 'True',
    );
    const events = await eventsWith(env.kubeConfig, env.namespace, 'gone', ['WorkerFailed']);
    expect(events.find((e) => e.reason === 'WorkerFailed')?.note).toMatch(/gone-1-1 \(pod deleted\)/);
    await jobs.delete('gone');
  });

  it('reports a worker that cannot start as Degraded with the kubelet reason, and the recovery', async () => {
    await kubelet.markWaiting(
      'wordcount-1-0',
      'ImagePullBackOff',
      'Back-off pulling image "sluice-runtime:dev"',
    );
    const job = await waitFor('Degraded=True', async () => {
      const j = await jobs.get('wordcount');
      return condition(j, 'Degraded')?.status === 'True' && j;
    });
    expect(condition(job, 'Degraded')).toMatchObject({
      reason: 'WorkerNotStarting',
      message: 'worker wordcount-1-0: ImagePullBackOff (Back-off pulling image "sluice-runtime:dev")',
    });
    await kubelet.markReady('wordcount-1-0');
    await waitFor(
      'Degraded=False',
      async () => condition(await jobs.get('wordcount'), 'Degraded')?.status === 'False',
    );
    const events = await eventsWith(env.kubeConfig, env.namespace, 'wordcount', [
      'WorkerNotStarting',
      'Recovered',
    ]);
    expect(events.find((e) => e.reason === 'WorkerNotStarting')).toMatchObject({ type: 'Warning' });
    expect(events.find((e) => e.reason === 'Recovered')).toMatchObject({ type: 'Normal' });
  });

  it('suspends: removes the workers and keeps status; resumes as a new attempt', async () => {
    await jobs.jsonPatch('wordcount', [{ op: 'replace', path: '/spec/state', value: 'suspended' }]);
    const suspended = await waitFor('phase Suspended', async () => {
      const j = await jobs.get('wordcount');
      return j.status?.phase === 'Suspended' && j;
    });
    expect(await podNames('wordcount')).toEqual([]);
    expect(suspended.status).toMatchObject({ attempt: 1, workers: { ready: 0, total: 0 } });
    expect(suspended.status!.observedGeneration).toBe(suspended.metadata!.generation);
    expect(condition(suspended, 'Ready')).toMatchObject({ status: 'False', reason: 'Suspended' });
    expect(condition(suspended, 'Progressing')).toMatchObject({ status: 'False', reason: 'Suspended' });
    // Service and worker identity stay; only the pods go.
    await expect(
      core.readNamespacedService({ name: 'wordcount-workers', namespace: env.namespace }),
    ).resolves.toBeDefined();

    await jobs.jsonPatch('wordcount', [{ op: 'replace', path: '/spec/state', value: 'running' }]);
    await waitFor(
      'pods of attempt 2',
      async () => (await podNames('wordcount')).join() === 'wordcount-2-0,wordcount-2-1',
    );
    const resumed = await jobs.get('wordcount');
    expect(resumed.status).toMatchObject({ attempt: 2, attemptReason: 'Resumed' });
    const role = await rbac.readNamespacedRole({ name: 'wordcount-worker', namespace: env.namespace });
    expect(role.rules![0]!.resourceNames).toEqual(['wordcount-2-0', 'wordcount-2-1']);
    await kubelet.markAllReady(selector('wordcount'));
    await waitFor('Running again', async () => (await jobs.get('wordcount')).status?.phase === 'Running');
    await eventsWith(env.kubeConfig, env.namespace, 'wordcount', [
      'Suspended',
      'WorkersDeleted',
      'AttemptStarted',
    ]);
  });

  it('moves a running job to a changed spec through a new attempt', async () => {
    await jobs.jsonPatch('wordcount', [{ op: 'replace', path: '/spec/parallelism', value: 3 }]);
    await waitFor(
      'three pods of attempt 3',
      async () => (await podNames('wordcount')).join() === 'wordcount-3-0,wordcount-3-1,wordcount-3-2',
    );
    const job = await jobs.get('wordcount');
    expect(job.status).toMatchObject({
      attempt: 3,
      attemptReason: 'SpecChanged',
      phase: 'Upgrading',
      workers: { ready: 0, total: 3 },
    });
    const pods = await podsOf('wordcount');
    expect(pods.map((p) => envOf(p)[ENV.parallelism])).toEqual(['3', '3', '3']);
    await kubelet.markAllReady(selector('wordcount'));
    const ready = await waitFor('Ready at parallelism 3', async () => {
      const j = await jobs.get('wordcount');
      return condition(j, 'Ready')?.status === 'True' && j;
    });
    expect(ready.status!.observedGeneration).toBe(ready.metadata!.generation);
  });

  it('handles request annotations: a restart starts a new attempt, invalid and unsupported requests are rejected with Events', async () => {
    await jobs.annotate('wordcount', 'sluice.dev/restart', 'r-1');
    const restarted = await waitFor('restart handled', async () => {
      const j = await jobs.get('wordcount');
      return j.status?.lastHandledRequests?.restart?.nonce === 'r-1' && j;
    });
    expect(restarted.status!.lastHandledRequests!.restart).toMatchObject({
      result: 'Accepted',
      message: 'sluice.dev/restart=r-1 accepted: restarting as attempt 4',
    });
    expect(restarted.status).toMatchObject({ attempt: 4, attemptReason: 'RestartRequested' });
    await waitFor(
      'pods of attempt 4',
      async () => (await podNames('wordcount')).join() === 'wordcount-4-0,wordcount-4-1,wordcount-4-2',
    );

    // Checkpoint and savepoint requests are carried out by the checkpoint coordinator
    // (test/integration/coordination-*.test.ts); here only their validation is checked.
    await jobs.annotate('wordcount', 'sluice.dev/savepoint', '-sp-1');
    await jobs.annotate('wordcount', 'sluice.dev/checkpoint', 'not a nonce!');
    const rejected = await waitFor('requests rejected', async () => {
      const j = await jobs.get('wordcount');
      const h = j.status?.lastHandledRequests;
      return h?.savepoint?.nonce === '-sp-1' && h.checkpoint?.nonce === 'not a nonce!' && j;
    });
    expect(rejected.status!.lastHandledRequests!.savepoint!.result).toBe('Rejected');
    expect(rejected.status!.lastHandledRequests!.savepoint!.message).toMatch(/is not a valid nonce/);
    expect(rejected.status!.lastHandledRequests!.checkpoint!.result).toBe('Rejected');
    expect(rejected.status!.lastHandledRequests!.checkpoint!.message).toMatch(/is not a valid nonce/);
    expect(rejected.status!.attempt).toBe(4);
    const events = await waitFor('request Events', async () => {
      const all = await eventsAbout(env.kubeConfig, env.namespace, 'wordcount');
      return (
        all.filter((e) => e.reason === 'RequestRejected').length >= 2 &&
        all.some((e) => e.reason === 'RequestAccepted') &&
        all
      );
    });
    expect(events.filter((e) => e.reason === 'RequestAccepted').map((e) => e.note)).toContain(
      'sluice.dev/restart=r-1 accepted: restarting as attempt 4',
    );
    const rejectedNotes = events
      .filter((e) => e.reason === 'RequestRejected' && e.type === 'Warning')
      .map((e) => e.note);
    expect(
      rejectedNotes.some((n) => /sluice.dev\/savepoint value "-sp-1" is not a valid nonce/.test(n ?? '')),
    ).toBe(true);
    expect(
      rejectedNotes.some((n) =>
        /sluice.dev\/checkpoint value "not a nonce!" is not a valid nonce/.test(n ?? ''),
      ),
    ).toBe(true);
    for (const e of events) {
      expect(e.reportingController).toBe('sluice.dev/operator');
      expect(e.regarding).toMatchObject({ kind: 'StreamJob', name: 'wordcount', uid });
    }
  });

  it("gives workers only their own attempt's pods (get, watch by name, patch) and their StreamJob (get, watch by name), nothing else", async () => {
    await kubelet.markAllReady(selector('wordcount'));
    const token = await core.createNamespacedServiceAccountToken({
      name: 'wordcount-worker',
      namespace: env.namespace,
      body: { spec: { audiences: [], expirationSeconds: 600 } },
    });
    const workerConfig = tokenKubeConfig(env.state, token.status?.token ?? '');
    const worker = workerConfig.makeApiClient(CoreV1Api);
    const workerJobs = workerConfig.makeApiClient(CustomObjectsApi);
    const ns = env.namespace;
    const streamjobs = { group: 'sluice.dev', version: 'v1alpha1', plural: 'streamjobs', namespace: ns };
    const own = (await podNames('wordcount'))[0]!;
    await expect(worker.readNamespacedPod({ name: own, namespace: ns })).resolves.toBeDefined();
    const listed = await worker.listNamespacedPod({ namespace: ns, fieldSelector: `metadata.name=${own}` });
    expect(listed.items.map((p) => p.metadata!.name)).toEqual([own]);
    await expect(
      worker.patchNamespacedPod({
        name: own,
        namespace: ns,
        body: [{ op: 'add', path: '/metadata/annotations/sluice.dev~1checkpoint-ack', value: '{"id":1}' }],
      }),
    ).resolves.toBeDefined();
    const denied = async (call: Promise<unknown>) =>
      expect(call.catch((e) => apiMessage(e))).resolves.toMatch(/^403: /);
    await denied(worker.listNamespacedPod({ namespace: ns }));
    await denied(worker.readNamespacedPod({ name: 'wordcount-1-0', namespace: ns }));
    await denied(worker.deleteNamespacedPod({ name: own, namespace: ns }));
    await denied(worker.readNamespacedSecret({ name: 'wordcount-storage-credentials', namespace: ns }));
    await denied(worker.listNamespacedService({ namespace: ns }));
    // The checkpoint protocol's requests and commit notices are on the StreamJob.
    await expect(
      workerJobs.getNamespacedCustomObject({ ...streamjobs, name: 'wordcount' }),
    ).resolves.toMatchObject({
      metadata: { name: 'wordcount' },
    });
    const ownJob = (await workerJobs.listNamespacedCustomObject({
      ...streamjobs,
      fieldSelector: 'metadata.name=wordcount',
    })) as { items: StreamJob[] };
    expect(ownJob.items.map((j) => j.metadata!.name)).toEqual(['wordcount']);
    await denied(workerJobs.listNamespacedCustomObject(streamjobs));
    await denied(workerJobs.getNamespacedCustomObject({ ...streamjobs, name: 'other' }));
    await denied(
      workerJobs.patchNamespacedCustomObject({
        ...streamjobs,
        name: 'wordcount',
        body: [{ op: 'add', path: '/metadata/annotations/x', value: 'y' }],
      }),
    );
  });

  it('leaves objects it does not own alone and reports the conflict as Degraded', async () => {
    await core.createNamespacedService({
      namespace: env.namespace,
      body: {
        metadata: { name: 'clash-workers' },
        spec: { ports: [{ port: 80 }], selector: { app: 'other' } },
      },
    });
    await jobs.create({
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'StreamJob',
      metadata: { name: 'clash', namespace: env.namespace },
      spec: { image: 'sluice-runtime:dev', job: { entry: 'wordcount' } },
    });
    const job = await waitFor('Degraded=True', async () => {
      const j = await jobs.get('clash');
      return condition(j, 'Degraded')?.status === 'True' && j;
    });
    expect(condition(job, 'Degraded')).toMatchObject({
      reason: 'OwnershipConflict',
      message: `Service ${env.namespace}/clash-workers exists and is not controlled by StreamJob ${env.namespace}/clash; delete or rename it so the operator can create its own`,
    });
    const svc = await core.readNamespacedService({ name: 'clash-workers', namespace: env.namespace });
    expect(svc.metadata!.ownerReferences).toBeUndefined();
    expect(svc.spec!.selector).toEqual({ app: 'other' });
    const warning = (await eventsWith(env.kubeConfig, env.namespace, 'clash', ['OwnershipConflict'])).find(
      (e) => e.reason === 'OwnershipConflict',
    );
    expect(warning).toMatchObject({ type: 'Warning' });
    await jobs.delete('clash');
  });

  it('exports controller-runtime and per-job metrics and answers the probes', async () => {
    expect((await fetch(`${operator.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${operator.url}/readyz`)).status).toBe(200);
    expect(
      await metricValue(operator.url, 'controller_runtime_reconcile_total', {
        controller: 'streamjob',
        result: 'success',
      }),
    ).toBeGreaterThan(0);
    await waitFor(
      'a counted reconcile error',
      async () =>
        ((await metricValue(operator.url, 'controller_runtime_reconcile_errors_total', {
          controller: 'streamjob',
        })) ?? 0) > 0,
    );
    expect(
      await metricValue(operator.url, 'controller_runtime_reconcile_time_seconds_count', {
        controller: 'streamjob',
      }),
    ).toBeGreaterThan(0);
    expect(await metricValue(operator.url, 'workqueue_depth', { name: 'streamjob' })).toBeDefined();
    expect(
      await metricValue(operator.url, 'sluice_streamjob_workers', {
        namespace: env.namespace,
        name: 'wordcount',
        state: 'desired',
      }),
    ).toBe(3);
    expect(
      await metricValue(operator.url, 'sluice_streamjob_attempt', {
        namespace: env.namespace,
        name: 'wordcount',
      }),
    ).toBe(4);
    await waitFor(
      'the Running phase gauge',
      async () =>
        (await metricValue(operator.url, 'sluice_streamjob_phase', {
          namespace: env.namespace,
          name: 'wordcount',
          phase: 'Running',
        })) === 1,
    );
  });
});

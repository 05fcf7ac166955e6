/**
 * A worker's checkpoint ack across an API server outage (docs/runtime.md "Control modes"): the
 * worker's pod control channel talks to the real kube-apiserver through a loopback proxy that
 * the test takes down for 60 s — connections refused, as while the API server restarts. The ack
 * is retried until the checkpoint's timeout and lands once the API server is back; the watch
 * resumes and delivers the next request. An ack whose checkpoint times out during the outage is
 * given up (the worker then fails only that checkpoint, see runtime/worker.ts publishAck).
 */
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import pino from 'pino';
import { ANN_CHECKPOINT_ACK, ANN_CHECKPOINT_REQUEST, type CheckpointRequest } from '@sluice/api/protocol.ts';
import { PodControl } from '../../runtime-image/src/control/pod-control.ts';
import { exampleJob, Jobs, waitFor } from '../harness/operator.ts';
import { setupTestEnv, type TestEnv } from '../harness/env.ts';
import { OutageProxy } from '../harness/outage-proxy.ts';

const OUTAGE_MS = 60_000;
const LONG = OUTAGE_MS + 90_000;

describe('runtime: checkpoint acks across an API server outage', () => {
  let env: TestEnv;
  let core: CoreV1Api;
  let proxy: OutageProxy;
  let viaProxy: KubeConfig;
  let jobs: Jobs;
  const pod = 'wc-1-0';
  const me = { pod, job: 'wc', attempt: 1 };

  beforeAll(async () => {
    env = await setupTestEnv('isolation-ack-outage');
    core = env.kubeConfig.makeApiClient(CoreV1Api);
    jobs = new Jobs(env.kubeConfig, env.namespace);
    const manifest = exampleJob('wordcount.yaml');
    manifest.metadata.name = 'wc';
    await jobs.create(manifest);
    await core.createNamespacedServiceAccount({
      namespace: env.namespace,
      body: { metadata: { name: 'default' } },
    });
    await core.createNamespacedPod({
      namespace: env.namespace,
      body: {
        metadata: { name: pod },
        spec: {
          automountServiceAccountToken: false,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 10001,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          containers: [
            {
              name: 'worker',
              image: 'sluice-runtime:dev',
              securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
            },
          ],
        },
      },
    });
    const cp = env.state.controlPlane;
    proxy = await OutageProxy.start(cp.server);
    viaProxy = new KubeConfig();
    viaProxy.loadFromOptions({
      clusters: [
        { name: 'c', server: proxy.url(cp.server), caData: Buffer.from(cp.caData).toString('base64') },
      ],
      users: [
        {
          name: 'admin',
          certData: Buffer.from(cp.adminCertData).toString('base64'),
          keyData: Buffer.from(cp.adminKeyData).toString('base64'),
        },
      ],
      contexts: [{ name: 'c', cluster: 'c', user: 'admin' }],
      currentContext: 'c',
    });
  }, LONG);

  afterAll(async () => {
    await proxy?.stop();
    await env?.cleanup();
  }, LONG);

  const request = (id: number): CheckpointRequest => ({
    id,
    attempt: 1,
    kind: 'checkpoint',
    path: `sluice/ns/wc/uid/checkpoints/chk-${id}`,
    stop: false,
    triggeredAt: '2026-01-01T00:00:00Z',
    timeoutSeconds: 600,
  });
  /** The operator's request, on the StreamJob. */
  const annotate = (annotations: Record<string, string>) =>
    jobs.mergePatch('wc', { metadata: { annotations } });
  const ackOnPod = async () =>
    (await core.readNamespacedPod({ name: pod, namespace: env.namespace })).metadata?.annotations?.[
      ANN_CHECKPOINT_ACK
    ];

  it(
    'delivers an ack made during a 60 s outage once the API server is back, and keeps watching',
    async () => {
      const requests: number[] = [];
      const control = new PodControl(
        viaProxy,
        { ...me, namespace: env.namespace },
        pino({ level: 'silent' }),
      );
      await control.start({
        onCheckpointRequest: (r) => requests.push(r.id),
        onCommitted: () => undefined,
        onFinal: () => undefined,
      });
      try {
        await annotate({ [ANN_CHECKPOINT_REQUEST]: JSON.stringify(request(1)) });
        await waitFor('request 1', () => requests.includes(1));

        await proxy.outage();
        const t0 = Date.now();
        let settled: 'ok' | Error | undefined;
        const acked = control
          .ack(
            {
              id: 1,
              subtask: 0,
              bytes: 10,
              files: [{ key: 'state-0.snap', bytes: 10, sha256: '0'.repeat(64) }],
            },
            Date.now() + 600_000,
          )
          .then(
            () => (settled = 'ok'),
            (e: Error) => (settled = e),
          );
        await new Promise((r) => setTimeout(r, OUTAGE_MS));
        // Still retrying: neither given up nor (impossibly) delivered.
        expect(settled).toBeUndefined();
        await proxy.restore();
        await acked;
        expect(settled).toBe('ok');
        expect(Date.now() - t0).toBeGreaterThanOrEqual(OUTAGE_MS);
        expect(JSON.parse((await ackOnPod())!)).toMatchObject({ id: 1, subtask: 0 });

        // The watch came back too: the next request arrives.
        await annotate({ [ANN_CHECKPOINT_REQUEST]: JSON.stringify(request(2)) });
        await waitFor('request 2 after the outage', () => requests.includes(2), 30_000);
      } finally {
        await control.close();
        await proxy.restore();
      }
    },
    LONG,
  );

  it(
    "gives up on an ack once its checkpoint's timeout has passed, saying so",
    async () => {
      const control = new PodControl(
        viaProxy,
        { ...me, namespace: env.namespace },
        pino({ level: 'silent' }),
      );
      await control.start({
        onCheckpointRequest: () => undefined,
        onCommitted: () => undefined,
        onFinal: () => undefined,
      });
      try {
        await proxy.outage();
        await expect(
          control.ack({ id: 3, subtask: 0, bytes: 0, files: [] }, Date.now() + 2000),
        ).rejects.toThrow(
          new RegExp(
            `cannot annotate own pod ${env.namespace}/${pod} with the ack of checkpoint 3 before its timeout`,
          ),
        );
      } finally {
        await control.close();
        await proxy.restore();
      }
      expect(JSON.parse((await ackOnPod())!)).toMatchObject({ id: 1 });
    },
    LONG,
  );
});

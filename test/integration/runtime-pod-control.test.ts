/**
 * The worker's pod control channel against a real kube-apiserver: it watches its own Pod
 * (field selector), delivers checkpoint requests and commits written as annotations, and
 * acknowledges by merge-patching an annotation onto the same Pod. No kubelet: the Pod stays
 * Pending, which is all the annotation protocol needs.
 */
import { CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import pino from 'pino';
import {
  ANN_CHECKPOINT_ACK,
  ANN_CHECKPOINT_COMMITTED,
  ANN_CHECKPOINT_FINAL,
  ANN_CHECKPOINT_REQUEST,
  type CheckpointRequest,
} from '../../api/src/protocol.ts';
import { PodControl } from '../../runtime-image/src/control/pod-control.ts';
import { setupTestEnv, type TestEnv } from '../harness/env.ts';

const LONG = 60_000;

async function eventually<T>(
  what: string,
  get: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await get();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('runtime: pod control', () => {
  let env: TestEnv;
  let core: CoreV1Api;
  const pod = 'wc-0-0';

  beforeAll(async () => {
    env = await setupTestEnv('runtime-podctl');
    core = env.kubeConfig.makeApiClient(CoreV1Api);
    // No controller-manager here to create the namespace's default ServiceAccount.
    await core.createNamespacedServiceAccount({
      namespace: env.namespace,
      body: { metadata: { name: 'default' } },
    });
    await core.createNamespacedPod({
      namespace: env.namespace,
      body: {
        metadata: { name: pod, annotations: { [ANN_CHECKPOINT_COMMITTED]: '4' } },
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
  }, LONG);

  afterAll(() => env.cleanup(), LONG);

  const annotate = (annotations: Record<string, string>) =>
    core.patchNamespacedPod(
      { name: pod, namespace: env.namespace, body: { metadata: { annotations } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );

  it(
    'delivers requests and commits from annotations and writes acks back',
    async () => {
      const requests: CheckpointRequest[] = [];
      const commits: number[] = [];
      const finals: number[] = [];
      const control = new PodControl(env.kubeConfig, pod, env.namespace, pino({ level: 'silent' }));
      await control.start({
        onCheckpointRequest: (r) => requests.push(r),
        onCommitted: (id) => commits.push(id),
        onFinal: (id) => finals.push(id),
      });
      try {
        // The annotation present at start is delivered from the initial read.
        expect(commits).toEqual([4]);

        const req: CheckpointRequest = {
          id: 5,
          kind: 'savepoint',
          path: 'sluice/ns/wc/uid/savepoints/sp-5-abc',
          stop: true,
          triggeredAt: '2026-01-01T00:00:00Z',
        };
        await annotate({ [ANN_CHECKPOINT_REQUEST]: JSON.stringify(req) });
        await eventually('request 5', () => requests.find((r) => r.id === 5));
        expect(requests).toEqual([req]);

        await control.ack(
          {
            id: 5,
            subtask: 0,
            bytes: 1234,
            files: [{ key: 'state-0.snap', bytes: 1234, sha256: '0'.repeat(64) }],
          },
          Date.now() + 30_000,
        );
        const got = await core.readNamespacedPod({ name: pod, namespace: env.namespace });
        expect(JSON.parse(got.metadata!.annotations![ANN_CHECKPOINT_ACK]!)).toEqual({
          id: 5,
          subtask: 0,
          bytes: 1234,
          files: [{ key: 'state-0.snap', bytes: 1234, sha256: '0'.repeat(64) }],
        });
        // Our own ack patch (a MODIFIED event) does not re-deliver the unchanged request.
        await annotate({ [ANN_CHECKPOINT_COMMITTED]: '5' });
        await eventually('commit 5', () => (commits.includes(5) ? true : undefined));
        expect(requests).toHaveLength(1);
        expect(commits).toEqual([4, 5]);
        expect(finals).toEqual([]);
        // The final notice (checkpoint 5 was the job's last), delivered once.
        await annotate({ [ANN_CHECKPOINT_FINAL]: '5' });
        await eventually('final 5', () => (finals.includes(5) ? true : undefined));
        await annotate({ [ANN_CHECKPOINT_FINAL]: '5' });
        expect(commits).toEqual([4, 5]);
        expect(finals).toEqual([5]);

        // A malformed request is ignored (logged), later valid ones still arrive.
        await annotate({ [ANN_CHECKPOINT_REQUEST]: '{"id":"x"}' });
        await annotate({
          [ANN_CHECKPOINT_REQUEST]: JSON.stringify({ ...req, id: 6, kind: 'checkpoint', stop: false }),
        });
        await eventually('request 6', () => requests.find((r) => r.id === 6));
        expect(requests.map((r) => r.id)).toEqual([5, 6]);
      } finally {
        await control.close();
      }
    },
    LONG,
  );

  it(
    'fails to start with a message naming the pod when it does not exist',
    async () => {
      const control = new PodControl(env.kubeConfig, 'nope-0-0', env.namespace, pino({ level: 'silent' }));
      await expect(
        control.start({
          onCheckpointRequest: () => undefined,
          onCommitted: () => undefined,
          onFinal: () => undefined,
        }),
      ).rejects.toThrow(new RegExp(`cannot read own pod ${env.namespace}/nope-0-0`));
    },
    LONG,
  );
});

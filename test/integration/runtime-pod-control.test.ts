/**
 * The worker's pod control channel against a real kube-apiserver: it watches its StreamJob
 * (field selector), delivers the checkpoint requests of its attempt (an annotation on the job)
 * and the commit notices of ids it acked (the job's status), and acknowledges by merge-patching an
 * annotation onto its own Pod (docs/checkpointing.md "Protocol (operator ↔ workers)"). No
 * operator and no kubelet: the test writes what the operator would, and the Pod stays Pending.
 */
import { CoreV1Api } from '@kubernetes/client-node';
import pino from 'pino';
import {
  ANN_CHECKPOINT_ACK,
  ANN_CHECKPOINT_FINAL,
  ANN_CHECKPOINT_REQUEST,
  type CheckpointRequest,
} from '@sluice/api/protocol.ts';
import type { StreamJobStatus } from '@sluice/api/streamjob.ts';
import { PodControl } from '../../runtime-image/src/control/pod-control.ts';
import { setupTestEnv, type TestEnv } from '../harness/env.ts';
import { exampleJob, Jobs } from '../harness/operator.ts';

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
  let jobs: Jobs;
  const pod = 'wc-1-0';
  const me = () => ({ pod, namespace: env.namespace, job: 'wc', attempt: 1 });

  beforeAll(async () => {
    env = await setupTestEnv('runtime-podctl');
    core = env.kubeConfig.makeApiClient(CoreV1Api);
    jobs = new Jobs(env.kubeConfig, env.namespace);
    const manifest = exampleJob('wordcount.yaml');
    manifest.metadata.name = 'wc';
    await jobs.create(manifest);
    // Checkpoint 4 completed before this worker started (an earlier attempt's).
    await setStatus({ attempt: 1, checkpoints: { lastCompleted: { id: 4, path: 'p/chk-4' } } });
    // No controller-manager here to create the namespace's default ServiceAccount.
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
  }, LONG);

  afterAll(() => env.cleanup(), LONG);

  /** What the operator writes: annotations on the StreamJob, and its status. */
  const annotate = (annotations: Record<string, string>) =>
    jobs.mergePatch('wc', { metadata: { annotations } });
  async function setStatus(status: StreamJobStatus) {
    await jobs.jsonPatchStatus('wc', [{ op: 'add', path: '/status', value: status }]);
  }

  it(
    "delivers its attempt's requests and the commits of ids it acked, and writes acks on its pod",
    async () => {
      const requests: CheckpointRequest[] = [];
      const commits: number[] = [];
      const finals: number[] = [];
      const control = new PodControl(env.kubeConfig, me(), pino({ level: 'silent' }));
      await control.start({
        onCheckpointRequest: (r) => requests.push(r),
        onCommitted: (id) => commits.push(id),
        onFinal: (id) => finals.push(id),
      });
      try {
        // Checkpoint 4 is in status, but this worker did not ack it: nothing to commit.
        const req: CheckpointRequest = {
          id: 5,
          attempt: 1,
          kind: 'savepoint',
          path: 'sluice/ns/wc/uid/savepoints/sp-5-abc',
          stop: true,
          triggeredAt: '2026-01-01T00:00:00Z',
        };
        // A request for another attempt is not this worker's.
        await annotate({ [ANN_CHECKPOINT_REQUEST]: JSON.stringify({ ...req, attempt: 2 }) });
        await annotate({ [ANN_CHECKPOINT_REQUEST]: JSON.stringify(req) });
        await eventually('request 5', () => requests.find((r) => r.id === 5));
        expect(requests).toEqual([req]);
        expect(commits).toEqual([]);

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
        // The commit notice: savepoint 5 completed in status. The status write (a MODIFIED
        // event) does not re-deliver the unchanged request.
        await setStatus({
          attempt: 1,
          checkpoints: { lastCompleted: { id: 4, path: 'p/chk-4' } },
          savepoints: { last: { id: 5, path: req.path } },
        });
        await eventually('commit 5', () => (commits.includes(5) ? true : undefined));
        expect(requests).toHaveLength(1);
        expect(commits).toEqual([5]);
        expect(finals).toEqual([]);
        // The final notice (savepoint 5 was the job's last), delivered once.
        await annotate({ [ANN_CHECKPOINT_FINAL]: '5' });
        await eventually('final 5', () => (finals.includes(5) ? true : undefined));
        await annotate({ [ANN_CHECKPOINT_FINAL]: '5', other: 'x' });
        expect(commits).toEqual([5]);
        expect(finals).toEqual([5]);

        // A malformed request is ignored (logged), later valid ones still arrive.
        await annotate({ [ANN_CHECKPOINT_REQUEST]: '{"id":"x"}' });
        await annotate({
          [ANN_CHECKPOINT_REQUEST]: JSON.stringify({ ...req, id: 6, kind: 'checkpoint', stop: false }),
        });
        await eventually('request 6', () => requests.find((r) => r.id === 6));
        expect(requests.map((r) => r.id)).toEqual([5, 6]);
        // Checkpoint 7 completed by another attempt (this worker never acked it): not committed.
        await setStatus({ attempt: 2, checkpoints: { lastCompleted: { id: 7, path: 'p/chk-7' } } });
        await annotate({ [ANN_CHECKPOINT_REQUEST]: JSON.stringify({ ...req, id: 8, stop: false }) });
        await eventually('request 8', () => requests.find((r) => r.id === 8));
        expect(commits).toEqual([5]);
      } finally {
        await control.close();
      }
    },
    LONG,
  );

  it(
    'fails to start with a message naming the pod or the StreamJob that does not exist',
    async () => {
      const handlers = {
        onCheckpointRequest: () => undefined,
        onCommitted: () => undefined,
        onFinal: () => undefined,
      };
      const noPod = new PodControl(env.kubeConfig, { ...me(), pod: 'nope-0-0' }, pino({ level: 'silent' }));
      await expect(noPod.start(handlers)).rejects.toThrow(
        new RegExp(`cannot read own pod ${env.namespace}/nope-0-0`),
      );
      const noJob = new PodControl(env.kubeConfig, { ...me(), job: 'nope' }, pino({ level: 'silent' }));
      await expect(noJob.start(handlers)).rejects.toThrow(
        new RegExp(`cannot read own StreamJob ${env.namespace}/nope`),
      );
    },
    LONG,
  );
});

/**
 * Snapshot integrity through the operator (docs/security.md "Snapshot integrity"): the operator
 * creates the job's snapshot key once in the Secret `<job>-snapshot-key`, signs every
 * `_metadata` with it (which lists each state file's size and sha256), and when a worker fails
 * refuses to restart from checkpoints whose `_metadata` was altered after signing — Degraded
 * `NoRestorableSnapshot` naming "MAC does not match" — instead of restoring forged state. With
 * the signed documents back, the job restarts from them under the same key, and its real workers
 * (which verify the MAC too) count the corpus exactly once. In-process operator, real API
 * server, real MinIO, real worker processes (process kubelet).
 */
import { createHash } from 'node:crypto';
import { jest } from '@jest/globals';
import { CoreV1Api } from '@kubernetes/client-node';
import { metadataCoverageProblem } from '@sluice/api/metadata-coverage.ts';
import { parseMetadata, type SnapshotMetadata } from '@sluice/api/metadata.ts';
import { metadataMacProblem } from '@sluice/api/snapshot-mac.ts';
import { eventsWith, waitFor, type InProcessOperator } from '../harness/operator.ts';
import {
  corpusWordcountJob,
  expectCorpusCountedOnce,
  startFixtureOperator,
  startWordcountFixture,
  stopWordcountFixture,
  waitFinished,
  type WordcountFixture,
} from '../harness/coordination-fixture.ts';

jest.setTimeout(180_000);

async function getObject(f: WordcountFixture, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of await f.env.minio.getObject(f.env.bucket, key)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('snapshot integrity (operator + real workers)', () => {
  let fixture: WordcountFixture | undefined;
  let operator: InProcessOperator;

  beforeAll(async () => {
    fixture = await startWordcountFixture('isolation-snapshot', 17);
    operator = await startFixtureOperator(fixture);
  });

  afterAll(() => stopWordcountFixture(fixture, operator));

  it('signs _metadata with the job key and refuses to restore a forged one', async () => {
    const f = fixture!;
    const { env, jobs, kubelet } = f;
    const core = env.kubeConfig.makeApiClient(CoreV1Api);
    const job = await jobs.create(
      corpusWordcountJob('sig', {
        output: 'out-sig/',
        rate: 30,
        spec: {
          restartPolicy: {
            maxRestarts: 3,
            backoffSeconds: 1,
            maxBackoffSeconds: 5,
            notReadyTimeoutSeconds: 120,
          },
        },
      }),
    );
    const completed = await waitFor(
      'two completed checkpoints',
      async () => {
        const j = await jobs.get('sig');
        return (j.status?.checkpoints?.lastCompleted?.id ?? 0) >= 2 && j;
      },
      60_000,
    );

    // The key: one Secret owned by the job, which the pods reference and the operator signs with.
    const secret = await core.readNamespacedSecret({ name: 'sig-snapshot-key', namespace: env.namespace });
    expect(secret.metadata!.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'StreamJob', name: 'sig', uid: job.metadata!.uid, controller: true }),
    ]);
    const keyText = Buffer.from(secret.data!.key!, 'base64').toString('utf8');
    expect(keyText).toMatch(/^[0-9a-f]{64}$/);
    const pod = await core.readNamespacedPod({ name: 'sig-1-0', namespace: env.namespace });
    expect(pod.spec!.containers[0]!.env!.find((e) => e.name === 'SLUICE_SNAPSHOT_KEY')).toEqual({
      name: 'SLUICE_SNAPSHOT_KEY',
      valueFrom: { secretKeyRef: { name: 'sig-snapshot-key', key: 'key' } },
    });
    const lastPath = completed.status!.checkpoints!.lastCompleted!.path;
    const last = parseMetadata((await getObject(f, `${lastPath}/_metadata`)).toString('utf8'), lastPath);
    expect(metadataMacProblem(last, Buffer.from(keyText, 'utf8'), lastPath)).toBeUndefined();
    expect(metadataCoverageProblem(last, lastPath)).toBeUndefined();
    for (const ack of last.workers) {
      for (const file of ack.files) {
        const body = await getObject(f, `${lastPath}/${file.key}`);
        expect({ bytes: body.length, sha256: createHash('sha256').update(body).digest('hex') }).toEqual({
          bytes: file.bytes,
          sha256: file.sha256,
        });
      }
    }

    // A worker dies; before the operator picks a checkpoint, every _metadata gets a changed
    // field under its old MAC.
    kubelet.kill('sig-1-1', 'SIGKILL');
    await waitFor(
      'both workers of attempt 1 ended',
      async () =>
        (
          await core.listNamespacedPod({ namespace: env.namespace, labelSelector: 'sluice.dev/job=sig' })
        ).items
          .filter((p) => p.metadata?.labels?.['sluice.dev/attempt'] === '1')
          .every((p) => p.status?.phase === 'Failed' || p.status?.phase === 'Succeeded'),
      30_000,
    );
    const checkpointsDir = lastPath.replace(/\/chk-\d+$/, '/');
    const originals = new Map<string, Buffer>();
    for await (const o of env.minio.listObjectsV2(env.bucket, checkpointsDir, true)) {
      if (o.name?.endsWith('/_metadata')) originals.set(o.name, await getObject(f, o.name));
    }
    expect(originals.size).toBeGreaterThanOrEqual(1);
    for (const [key, body] of originals) {
      const forged = JSON.parse(body.toString('utf8')) as SnapshotMetadata;
      forged.attempt = 99;
      await env.minio.putObject(env.bucket, key, Buffer.from(JSON.stringify(forged)));
    }

    const degraded = await waitFor(
      'Degraded=True NoRestorableSnapshot',
      async () =>
        (await jobs.get('sig')).status?.conditions?.find(
          (c) => c.type === 'Degraded' && c.status === 'True' && c.reason === 'NoRestorableSnapshot',
        ),
      60_000,
    );
    for (const key of originals.keys()) {
      expect(degraded.message).toContain(
        `s3://${env.bucket}/${key}: MAC does not match (the document was altered or forged, or signed with another key)`,
      );
    }
    expect((await jobs.get('sig')).status?.attempt).toBe(1);
    const events = await eventsWith(env.kubeConfig, env.namespace, 'sig', ['NoRestorableSnapshot']);
    expect(events.find((e) => e.reason === 'NoRestorableSnapshot')).toMatchObject({ type: 'Warning' });

    // The signed documents back: the job restarts from a checkpoint under the same key, and the
    // workers restore it (they check the MAC too) and count the corpus exactly once.
    for (const [key, body] of originals) await env.minio.putObject(env.bucket, key, body);
    await jobs.annotate('sig', 'test.sluice.dev/poke', '1');
    const restarted = await waitFor(
      'attempt 2',
      async () => {
        const j = await jobs.get('sig');
        return (j.status?.attempt ?? 0) >= 2 && j;
      },
      60_000,
    );
    expect(restarted.status!.restoredFrom!.kind).toBe('checkpoint');
    await waitFinished(f, 'sig');
    await expectCorpusCountedOnce(f, 'out-sig/');
    const after = await core.readNamespacedSecret({ name: 'sig-snapshot-key', namespace: env.namespace });
    expect(after.data!.key).toBe(secret.data!.key);
  });
});

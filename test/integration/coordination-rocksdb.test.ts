/**
 * The RocksDB keyed-state backend under the real operator (docs/state.md): a bounded wordcount
 * (S3 corpus → S3 sink, exactly once) with `spec.stateBackend: {type: rocksdb}` on real worker
 * processes (test/harness/process-kubelet.ts gives each pod's local-state volume a directory of
 * its own). Incremental checkpoints upload their data files once to `<jobPrefix>/shared/`; the
 * status reports `bytes` and `uploadedBytes`; `_metadata` lists every worker's shared files; the
 * operator keeps every shared object a retained checkpoint references and deletes the others
 * (operator/src/checkpoint/shared-state-store.ts). A SIGKILLed worker's attempt restarts from the
 * last checkpoint, and a heap job moves to rocksdb through an upgrade savepoint, both with the
 * output counted exactly once. A checkpoint whose shared file went missing from storage is passed
 * over by failure recovery, which falls back to the older retained one (with
 * spec.recovery.allowReplayedOutput, docs/checkpointing.md "Failure recovery").
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { CoreV1Api } from '@kubernetes/client-node';
import { jobPrefix, sharedFileCheckpointId, sharedStateDir } from '@sluice/api/layout.ts';
import { readMetadata } from '@sluice/api/metadata-store.ts';
import type { SnapshotMetadata } from '@sluice/api/metadata.ts';
import type { CompletedCheckpoint, StreamJob } from '@sluice/api/streamjob.ts';
import { eventsAbout, type Jobs, waitFor, type InProcessOperator } from '../harness/operator.ts';
import {
  corpusWordcountJob,
  expectCorpusCountedOnce,
  startFixtureOperator,
  startWordcountFixture,
  stopWordcountFixture,
  waitFinished,
  type WordcountFixture,
} from '../harness/coordination-fixture.ts';
import type { TestEnv } from '../harness/env.ts';
import type { ProcessKubelet } from '../harness/process-kubelet.ts';

jest.setTimeout(180_000);

/** A short backoff so the test sees the restart quickly. */
const RESTART_POLICY = {
  maxRestarts: 3,
  backoffSeconds: 1,
  maxBackoffSeconds: 10,
  notReadyTimeoutSeconds: 120,
};
const CHECKPOINT = { intervalSeconds: 1, timeoutSeconds: 30, retained: 1 };

/** A completed checkpoint as observed: its status entry, `_metadata`, and the shared objects then stored. */
interface Observed {
  completed: CompletedCheckpoint;
  meta: SnapshotMetadata;
  /** Object key relative to `<jobPrefix>/shared/` → size, bytes. */
  stored: Map<string, number>;
}

describe('rocksdb state backend (operator + real workers)', () => {
  let env: TestEnv;
  let jobs: Jobs;
  let kubelet: ProcessKubelet;
  let operator: InProcessOperator;
  let fixture: WordcountFixture | undefined;

  beforeAll(async () => {
    fixture = await startWordcountFixture('coordination-rdb', 17);
    ({ env, jobs, kubelet } = fixture);
    operator = await startFixtureOperator(fixture);
  });

  afterAll(() => stopWordcountFixture(fixture, operator));

  /** Objects under `<prefix>/` as key (relative to it) → size. */
  async function listSizes(prefix: string): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for await (const o of env.minio.listObjectsV2(env.bucket, `${prefix}/`, true))
      if (o.name) out.set(o.name.slice(prefix.length + 1), o.size);
    return out;
  }

  /**
   * The next completed checkpoint after `afterId` (or undefined once the job is Finished without
   * one): its `_metadata` and the shared objects listed while the status still named it as the
   * last completed one — retention and collection run only after the next completion is in the
   * status (checkpoint-coordinator.ts), so every object it references must be in that listing.
   */
  async function nextCompletion(job: StreamJob, afterId: number): Promise<Observed | undefined> {
    const prefix = jobPrefix('', env.namespace, job.metadata!.name!, job.metadata!.uid!);
    return waitFor(
      `a checkpoint completed after ${afterId}`,
      async () => {
        const before = await jobs.get(job.metadata!.name!);
        const completed = before.status?.checkpoints?.lastCompleted;
        if (!completed || completed.id <= afterId)
          return before.status?.phase === 'Finished' ? ({} as Observed) : undefined;
        const meta = await readMetadata(env.minio, env.bucket, completed.path);
        const stored = await listSizes(sharedStateDir(prefix));
        const after = await jobs.get(job.metadata!.name!);
        if (after.status?.checkpoints?.lastCompleted?.id !== completed.id) return undefined;
        return { completed, meta, stored };
      },
      60_000,
      50,
    ).then((o) => (o.completed ? o : undefined));
  }

  /** Asserts what every completed incremental checkpoint must show. */
  function expectIncremental({ completed, meta, stored }: Observed): void {
    expect(meta).toMatchObject({ id: completed.id, kind: 'checkpoint', parallelism: 2 });
    expect(completed.bytes).toBe(meta.bytes);
    expect(completed.uploadedBytes).toBeGreaterThan(0);
    expect(completed.uploadedBytes!).toBeLessThanOrEqual(completed.bytes!);
    let sharedBytes = 0;
    for (const w of meta.workers) {
      // Every worker's ack lists its shared files (possibly none before its first key).
      expect(Array.isArray(w.sharedFiles)).toBe(true);
      for (const f of w.sharedFiles!) {
        sharedBytes += f.bytes;
        expect({ key: f.key, bytes: stored.get(f.key) }).toEqual({ key: f.key, bytes: f.bytes });
      }
    }
    expect(completed.bytes!).toBeGreaterThanOrEqual(sharedBytes);
  }

  /** Keys (relative to `<jobPrefix>/shared/`) the `_metadata` of the stored checkpoints reference. */
  async function referencedByStored(prefix: string): Promise<Set<string>> {
    const keys = new Set<string>();
    const dirs = await listSizes(`${prefix}/checkpoints`);
    for (const name of dirs.keys()) {
      if (!name.endsWith('/_metadata')) continue;
      const meta = await readMetadata(env.minio, env.bucket, `${prefix}/checkpoints/${name.split('/')[0]}`);
      for (const w of meta.workers) for (const f of w.sharedFiles ?? []) keys.add(f.key);
    }
    return keys;
  }

  it('checkpoints incrementally, collects unreferenced shared files, restarts a killed worker; exactly once', async () => {
    // 1200 lines at 30 lines/s per worker: about 20 s of input, many checkpoints.
    const job = await jobs.create(
      corpusWordcountJob('wc', {
        output: 'out/',
        rate: 30,
        spec: { stateBackend: { type: 'rocksdb' }, checkpoint: CHECKPOINT, restartPolicy: RESTART_POLICY },
      }),
    );
    const prefix = jobPrefix('', env.namespace, 'wc', job.metadata!.uid!);
    const observed: Observed[] = [];
    let last = 0;
    while (last < 4) {
      const o = await nextCompletion(job, last);
      if (!o) throw new Error(`wc finished after checkpoint ${last}, before the kill`);
      expectIncremental(o);
      observed.push(o);
      last = o.completed.id;
    }
    expect(kubelet.errors).toEqual([]);
    // The local-state volume is the pod's own directory under the kubelet's logDir.
    for (const pod of ['wc-1-0', 'wc-1-1'])
      expect(
        readdirSync(join(env.state.workDir, `workers-${env.namespace}`, 'volumes', pod, 'state')).length,
      ).toBeGreaterThan(0);
    const before = await jobs.get('wc');
    expect(before.status).toMatchObject({ phase: 'Running', attempt: 1 });
    // By now both workers hold keys: each references shared files.
    for (const w of observed.at(-1)!.meta.workers) expect(w.sharedFiles!.length).toBeGreaterThan(0);
    kubelet.kill('wc-1-1', 'SIGKILL');

    const restarted = await waitFor(
      'attempt 2 started for the failed worker',
      async () => {
        const j = await jobs.get('wc');
        return (j.status?.attempt ?? 0) >= 2 && j;
      },
      60_000,
    );
    expect(restarted.status).toMatchObject({ attempt: 2, attemptReason: 'WorkerFailed', restarts: 1 });
    expect(restarted.status!.restoredFrom!.kind).toBe('checkpoint');
    expect(restarted.status!.restoredFrom!.id).toBeGreaterThanOrEqual(last);
    last = restarted.status!.checkpoints!.lastCompleted!.id;

    // Attempt 2's checkpoints until the job finishes.
    for (let o = await nextCompletion(job, last); o; o = await nextCompletion(job, last)) {
      expectIncremental(o);
      observed.push(o);
      last = o.completed.id;
    }
    const finished = await waitFinished(fixture!, 'wc');
    expect(finished.status!.attempt).toBe(2);
    await expectCorpusCountedOnce(fixture!, 'out/');
    const restoredId = restarted.status!.restoredFrom!.id!;
    expect(observed.some((o) => o.completed.id > restoredId)).toBe(true);
    // Incremental: some checkpoint reused files and uploaded less than its whole state.
    expect(observed.some((o) => o.completed.uploadedBytes! < o.completed.bytes!)).toBe(true);

    // Collection: once the last checkpoint's retention ran, exactly what the retained
    // checkpoints reference is stored — the files of deleted checkpoints (and of the killed
    // attempt's unfinished uploads) are gone.
    const settled = await waitFor(
      'shared storage down to the referenced files',
      async () => {
        const referenced = await referencedByStored(prefix);
        const stored = await listSizes(sharedStateDir(prefix));
        const same = stored.size === referenced.size && [...referenced].every((k) => stored.has(k));
        return same && { referenced, stored };
      },
      30_000,
    );
    expect(settled.referenced.size).toBeGreaterThan(0);
    const everReferenced = new Set(
      observed.flatMap((o) => o.meta.workers.flatMap((w) => w.sharedFiles!)).map((f) => f.key),
    );
    const collected = [...everReferenced].filter((k) => !settled.stored.has(k));
    expect(collected.length).toBeGreaterThan(0);
  });

  it('moves a heap job to rocksdb through an upgrade savepoint; the output is exactly once', async () => {
    // 1200 lines at 40 lines/s per worker: about 15 s of input.
    const job = await jobs.create(
      corpusWordcountJob('wcup', {
        output: 'out-up/',
        rate: 40,
        spec: { stateBackend: { type: 'heap' }, upgradeMode: 'savepoint', checkpoint: CHECKPOINT },
      }),
    );
    const heap = await nextCompletion(job, 1);
    expect(heap).toBeDefined();
    // Heap checkpoints are full: no shared files.
    expect(heap!.meta.workers.every((w) => w.sharedFiles === undefined)).toBe(true);
    await jobs.mergePatch('wcup', { spec: { stateBackend: { type: 'rocksdb' } } });

    const upgraded = await waitFor(
      'attempt 2 started from the upgrade savepoint',
      async () => {
        const j = await jobs.get('wcup');
        return (j.status?.attempt ?? 0) >= 2 && j;
      },
      60_000,
    );
    expect(upgraded.status).toMatchObject({ attempt: 2, attemptReason: 'SpecChanged' });
    const sp = upgraded.status!.savepoints!.last!;
    expect(upgraded.status!.restoredFrom).toEqual({ kind: 'savepoint', id: sp.id, path: sp.path });
    const core = env.kubeConfig.makeApiClient(CoreV1Api);
    const pod = await waitFor('pod wcup-2-0 created', () =>
      core.readNamespacedPod({ name: 'wcup-2-0', namespace: env.namespace }),
    );
    expect(pod.spec!.volumes).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'state', emptyDir: expect.anything() })]),
    );

    // Attempt 2 checkpoints incrementally from the restored state.
    const rocks = await nextCompletion(job, sp.id);
    expect(rocks).toBeDefined();
    expectIncremental(rocks!);
    expect(rocks!.meta.workers.every((w) => w.sharedFiles!.length > 0)).toBe(true);

    const finished = await waitFinished(fixture!, 'wcup');
    expect(finished.status).toMatchObject({ attempt: 2 });
    await expectCorpusCountedOnce(fixture!, 'out-up/');
    expect(kubelet.errors).toEqual([]);
  });

  /**
   * A rocksdb wordcount `name` with checkpoints every 3 s (time to alter a file and kill a worker
   * before the next one), 2 retained, fallback past committed output allowed; resolves once a
   * checkpoint after the first uploaded a shared file of its own (the older one lacks it).
   * @returns that checkpoint's id, the file's key relative to the shared directory and its object key
   */
  async function fallbackJob(name: string): Promise<{ last: number; victim: string; key: string }> {
    const job = await jobs.create(
      corpusWordcountJob(name, {
        output: `out-${name}/`,
        rate: 30,
        spec: {
          stateBackend: { type: 'rocksdb' },
          checkpoint: { intervalSeconds: 3, timeoutSeconds: 30, retained: 2 },
          restartPolicy: RESTART_POLICY,
          recovery: { allowReplayedOutput: true },
        },
      }),
    );
    const prefix = jobPrefix('', env.namespace, name, job.metadata!.uid!);
    let last = 0;
    for (;;) {
      const newest = await nextCompletion(job, last);
      if (!newest) throw new Error(`${name} finished after checkpoint ${last}`);
      last = newest.completed.id;
      if (last < 2) continue;
      const victim = newest.meta.workers
        .flatMap((w) => w.sharedFiles ?? [])
        .find((f) => sharedFileCheckpointId(f.key) === last)?.key;
      if (victim) return { last, victim, key: `${sharedStateDir(prefix)}/${victim}` };
    }
  }

  it('falls back to the older retained checkpoint when a shared file of the newest one is missing', async () => {
    const { last, victim, key } = await fallbackJob('wcfb');
    await env.minio.removeObject(env.bucket, key);
    kubelet.kill('wcfb-1-0', 'SIGKILL');

    const restarted = await waitFor(
      'attempt 2 started',
      async () => {
        const j = await jobs.get('wcfb');
        return (j.status?.attempt ?? 0) >= 2 && j;
      },
      60_000,
    );
    // Not the newest checkpoint (its file is gone) but the one before it.
    expect(restarted.status!.restoredFrom!.kind).toBe('checkpoint');
    expect(restarted.status!.restoredFrom!.id).toBeLessThan(last);
    const fallback = await waitFor('a Warning Event RestoreFallback', async () =>
      (await eventsAbout(env.kubeConfig, env.namespace, 'wcfb')).find(
        (e) => e.reason === 'RestoreFallback' && e.type === 'Warning',
      ),
    );
    expect(fallback.note).toContain(`${victim} of subtask`);
    expect(fallback.note).toContain('does not exist');
    await waitFinished(fixture!, 'wcfb');
    expect(kubelet.errors).toEqual([]);
  });

  it('falls back when the workers find a shared file of the restored checkpoint altered in place (same size)', async () => {
    const { last, key } = await fallbackJob('wcsx');
    // Same size, other bytes: the operator's size check passes, the workers' sha256 check does not.
    const chunks: Buffer[] = [];
    for await (const c of await env.minio.getObject(env.bucket, key)) chunks.push(c as Buffer);
    const altered = Buffer.concat(chunks);
    altered[Math.floor(altered.length / 2)]! ^= 0xff;
    await env.minio.putObject(env.bucket, key, altered, altered.length);
    kubelet.kill('wcsx-1-0', 'SIGKILL');

    // Attempt 2 restores the newest checkpoint (its files have the listed sizes) and its workers
    // fail on the altered file; attempt 3 restores the one before.
    const fellBack = await waitFor(
      'attempt 3 started',
      async () => {
        const j = await jobs.get('wcsx');
        return (j.status?.attempt ?? 0) >= 3 && j;
      },
      120_000,
    );
    expect(fellBack.status!.restoredFrom!.id).toBeLessThan(last);
    const fallback = await waitFor('a Warning Event RestoreFallback', async () =>
      (await eventsAbout(env.kubeConfig, env.namespace, 'wcsx')).find(
        (e) => e.reason === 'RestoreFallback' && e.type === 'Warning',
      ),
    );
    expect(fallback.note).toContain('found it corrupted');
    await waitFinished(fixture!, 'wcsx');
  });
});

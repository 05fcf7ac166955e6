/**
 * Operator crashes at chosen protocol steps: the operator runs as a real process with
 * SLUICE_CRASH_AFTER set (docs/checkpointing.md "Crash points"), so it SIGKILLs itself right
 * after the named step; the test asserts the state the crash left, then a new operator process
 * takes over.
 * - After each step of a checkpoint (id in status, the request on the StreamJob, `_metadata`,
 *   lastCompleted — the commit notice —, mid-retention): the workers keep running throughout and the
 *   bounded wordcount finishes in its first attempt.
 * - After an upgrade's stop-with-savepoint is in status: the new operator finishes the savepoint
 *   from the pods' acks and starts the upgraded attempt from it.
 * Either way the output is committed exactly once.
 */
import { join } from 'node:path';
import { jest } from '@jest/globals';
import type { StreamJob } from '@sluice/api/streamjob.ts';
import { metadataKey } from '@sluice/api/layout.ts';
import { jobRequestOf } from '../../operator/src/checkpoint/snapshot-status.ts';
import {
  type Jobs,
  isReady,
  operatorEnv,
  spawnOperator,
  waitFor,
  type OperatorProcess,
} from '../harness/operator.ts';
import {
  STORAGE_SECRET,
  corpusWordcountJob,
  expectCorpusCountedOnce,
  startWordcountFixture,
  stopWordcountFixture,
  waitFinished,
  type WordcountFixture,
} from '../harness/coordination-fixture.ts';
import type { TestEnv } from '../harness/env.ts';
import { freePort } from '../harness/ports.ts';

jest.setTimeout(180_000);

describe('the operator killed right after each protocol step (operator process + real workers)', () => {
  let env: TestEnv;
  let jobs: Jobs;
  let fixture: WordcountFixture | undefined;
  const operators = new Set<OperatorProcess>();

  async function startOperator(identity: string, crashAfter?: string): Promise<OperatorProcess> {
    const vars = operatorEnv({
      namespace: env.namespace,
      bucket: env.bucket,
      state: env.state,
      secret: STORAGE_SECRET,
      httpPort: await freePort(),
      identity,
      leaderElection: false,
      ...(crashAfter ? { extra: { SLUICE_CRASH_AFTER: crashAfter } } : {}),
    });
    const p = spawnOperator(
      vars,
      join(env.state.workDir, `operator-${env.namespace}-${identity}.log`),
      env.kubeconfigPath,
    );
    operators.add(p);
    void p.exited.then(() => operators.delete(p));
    await waitFor(`operator ${identity} ready (log ${p.logFile})`, () => isReady(p.url), 30_000);
    return p;
  }

  /** Waits until `p` has killed itself at its crash point. */
  async function crashed(p: OperatorProcess, what: string): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const exit = await Promise.race([
      p.exited,
      new Promise((resolve) => (timer = setTimeout(() => resolve('still running'), 90_000))),
    ]);
    clearTimeout(timer);
    expect({ what, exit, log: p.logFile }).toEqual({ what, exit: 'SIGKILL', log: p.logFile });
  }

  /** Object names under `dir/`. */
  async function objectsUnder(dir: string): Promise<string[]> {
    const names: string[] = [];
    for await (const o of env.minio.listObjectsV2(env.bucket, `${dir}/`, true)) names.push(o.name ?? '');
    return names;
  }

  /** After the crash the workers go on; the job finishes in attempt 1, output exactly once. */
  async function expectConverges(name: string, output: string): Promise<StreamJob> {
    await startOperator(`${name}-after`);
    const finished = await waitFinished(fixture!, name);
    expect(finished.status).toMatchObject({ attempt: 1 });
    expect(finished.status!.restarts ?? 0).toBe(0);
    await expectCorpusCountedOnce(fixture!, output);
    return finished;
  }

  beforeAll(async () => {
    fixture = await startWordcountFixture('coordination-crash', 17);
    ({ env, jobs } = fixture);
  });

  // One operator at a time: each case ends with its operators (all watch the namespace) gone.
  afterEach(async () => {
    for (const p of operators) {
      p.child.kill('SIGKILL');
      await p.exited;
    }
  });

  afterAll(async () => {
    await stopWordcountFixture(fixture);
  });

  /**
   * Each step of the second checkpoint (the first one's output is committed by then), and what
   * the crash must have left: `check(job, id)` with `id` the checkpoint in progress at the
   * crash.
   */
  const checkpointSteps: {
    step: string;
    left: string;
    check(job: StreamJob, id: number): Promise<void>;
  }[] = [
    {
      step: 'id-in-status',
      left: 'the id in status, no worker asked yet',
      async check(job, id) {
        expect(job.status!.checkpoints!.inProgress!.id).toBe(id);
        expect(jobRequestOf(job)?.id ?? 0).toBeLessThan(id);
      },
    },
    {
      step: 'request-annotated',
      left: 'every worker asked (the request on the StreamJob they watch), nothing completed',
      async check(job, id) {
        expect(job.status!.checkpoints!.inProgress!.id).toBe(id);
        expect(jobRequestOf(job)).toEqual({ id, attempt: job.status!.attempt });
      },
    },
    {
      step: 'metadata-written',
      left: '_metadata in storage, status still in progress',
      async check(job, id) {
        const c = job.status!.checkpoints!;
        expect(c.inProgress!.id).toBe(id);
        expect(c.lastCompleted?.id ?? 0).toBeLessThan(id);
        expect(await objectsUnder(c.inProgress!.path!)).toContain(metadataKey(c.inProgress!.path!));
      },
    },
    {
      step: 'completed-in-status',
      left: 'lastCompleted written — the commit notice every worker sees — retention not run',
      async check(job, id) {
        expect(job.status!.checkpoints!.lastCompleted!.id).toBe(id);
        expect(job.status!.checkpoints!.inProgress).toBeUndefined();
      },
    },
  ];

  it.each(checkpointSteps)('converges after a crash right after $step ($left)', async ({ step, check }) => {
    const name = `crash-${step}`;
    const output = `out-${step}/`;
    const op = await startOperator(name, `${step}/checkpoint#2`);
    await jobs.create(corpusWordcountJob(name, { output }));
    await crashed(op, step);
    const job = await jobs.get(name);
    const id = job.status!.checkpoints!.inProgress?.id ?? job.status!.checkpoints!.lastCompleted!.id;
    await check(job, id);
    await expectConverges(name, output);
  });

  it('converges after a crash in the middle of retention (a _metadata deleted, not its files)', async () => {
    const name = 'crash-retention';
    const output = 'out-retention/';
    // retained 2: the third completed checkpoint's retention deletes chk-1 (or the lowest).
    const op = await startOperator(name, 'retention-metadata-deleted');
    await jobs.create(corpusWordcountJob(name, { output }));
    await crashed(op, 'retention-metadata-deleted');
    const job = await jobs.get(name);
    const root = job.status!.checkpoints!.lastCompleted!.path.replace(/chk-\d+$/, '');
    const dirs = new Map<string, string[]>();
    for (const n of await objectsUnder(root.replace(/\/$/, ''))) {
      const dir = n.slice(0, n.lastIndexOf('/'));
      dirs.set(dir, [...(dirs.get(dir) ?? []), n]);
    }
    const halfDeleted = [...dirs].filter(([dir, names]) => !names.includes(metadataKey(dir)));
    expect(halfDeleted.map(([, names]) => names.length > 0)).toEqual([true]);
    const [[halfDir]] = halfDeleted as [[string, string[]]];

    await expectConverges(name, output);
    // The half-deleted directory was never restored from and went at a later retention.
    expect(await objectsUnder(halfDir)).toEqual([]);
  });

  it('converges after a crash right after an upgrade stop-with-savepoint is in status', async () => {
    const name = 'crash-upgrade';
    const output = 'out-upgrade/';
    const op = await startOperator(name, 'id-in-status/savepoint');
    await jobs.create(corpusWordcountJob(name, { output, spec: { upgradeMode: 'savepoint' } }));
    await waitFor(
      'attempt 1 running',
      async () => (await jobs.get(name)).status?.phase === 'Running',
      60_000,
    );

    await jobs.mergePatch(name, { spec: { parallelism: 3 } });
    await crashed(op, 'the stop-with-savepoint trigger');
    const stopping = await jobs.get(name);
    expect(stopping.status!.upgrade?.stage).toBe('Savepointing');
    const savepoint = stopping.status!.checkpoints!.inProgress!;
    expect(savepoint).toMatchObject({ kind: 'savepoint' });
    expect(savepoint.nonce).toBeUndefined();

    await startOperator(`${name}-after`);
    const finished = await waitFinished(fixture!, name);
    expect(finished.status).toMatchObject({
      attempt: 2,
      attemptReason: 'SpecChanged',
      workers: { total: 3 },
      restoredFrom: { kind: 'savepoint', id: savepoint.id },
    });
    expect(finished.status!.restarts ?? 0).toBe(0);
    await expectCorpusCountedOnce(fixture!, output);
  });
});

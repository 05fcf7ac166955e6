/**
 * Operator crashes: the operator runs as a real process and is SIGKILLed, then a new operator
 * process takes over.
 * - Mid-checkpoint (id in status, request on the pods, acks arriving): the workers keep running
 *   throughout; the new operator completes the checkpoint from the acks on the pods (or times it
 *   out), goes on checkpointing, and the bounded wordcount finishes in its first attempt.
 * - Mid-upgrade (savepoint mode, the stop-with-savepoint under way): the new operator finishes
 *   the savepoint from the pods' acks and starts the upgraded attempt from it.
 * Either way the output is committed exactly once.
 */
import { join } from 'node:path';
import { jest } from '@jest/globals';
import {
  type Jobs,
  isReady,
  operatorEnv,
  spawnOperator,
  waitFor,
  type OperatorProcess,
} from '../../operator/src/testing/integration.ts';
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

jest.setTimeout(150_000);

describe('operator crashes mid-checkpoint and mid-upgrade (operator process + real workers)', () => {
  let env: TestEnv;
  let jobs: Jobs;
  let fixture: WordcountFixture | undefined;
  const operators = new Set<OperatorProcess>();

  async function startOperator(identity: string): Promise<OperatorProcess> {
    const vars = operatorEnv({
      namespace: env.namespace,
      bucket: env.bucket,
      state: env.state,
      secret: STORAGE_SECRET,
      httpPort: await freePort(),
      identity,
      leaderElection: false,
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

  beforeAll(async () => {
    fixture = await startWordcountFixture('coordination-crash', 17);
    ({ env, jobs } = fixture);
  });

  afterAll(async () => {
    for (const p of operators) {
      p.child.kill('SIGKILL');
      await p.exited;
    }
    await stopWordcountFixture(fixture);
  });

  it('converges after the operator is killed while a checkpoint is in progress', async () => {
    const first = await startOperator('op-1');
    const manifest = corpusWordcountJob('wc', { output: 'out/' });
    await jobs.create(manifest);

    const inFlight = await waitFor(
      'a checkpoint in progress after one completed',
      async () => {
        const j = await jobs.get('wc');
        const c = j.status?.checkpoints;
        return (c?.lastCompleted?.id ?? 0) >= 1 && c?.inProgress !== undefined && c.inProgress.id;
      },
      60_000,
      20,
    );
    first.child.kill('SIGKILL');
    await first.exited;

    await startOperator('op-2');
    const after = await waitFor(
      'the in-flight checkpoint resolved by the new operator',
      async () => {
        const c = (await jobs.get('wc')).status?.checkpoints;
        return (c?.lastCompleted?.id ?? 0) >= inFlight && c;
      },
      60_000,
    );
    expect(after.lastCompleted!.id).toBeGreaterThanOrEqual(inFlight);

    const finished = await waitFinished(fixture!, 'wc');
    // The workers never noticed the operator change: no restart was needed.
    expect(finished.status).toMatchObject({ attempt: 1 });
    expect(finished.status!.restarts ?? 0).toBe(0);
    await expectCorpusCountedOnce(fixture!, 'out/');
  });

  it('converges after the operator is killed during an upgrade stop-with-savepoint', async () => {
    const first = await startOperator('op-3');
    const manifest = corpusWordcountJob('wc2', { output: 'out2/', spec: { upgradeMode: 'savepoint' } });
    await jobs.create(manifest);
    await waitFor(
      'attempt 1 running',
      async () => (await jobs.get('wc2')).status?.phase === 'Running',
      60_000,
    );

    await jobs.mergePatch('wc2', { spec: { parallelism: 3 } });
    const stopping = await waitFor(
      'the stop-with-savepoint under way',
      async () => {
        const j = await jobs.get('wc2');
        const p = j.status?.checkpoints?.inProgress;
        return (
          j.status?.upgrade?.stage === 'Savepointing' && p?.kind === 'savepoint' && p.nonce === undefined && j
        );
      },
      30_000,
      20,
    );
    first.child.kill('SIGKILL');
    await first.exited;

    await startOperator('op-4');
    const finished = await waitFinished(fixture!, 'wc2');
    const savepointId = stopping.status!.checkpoints!.inProgress!.id;
    expect(finished.status).toMatchObject({
      attempt: 2,
      attemptReason: 'SpecChanged',
      workers: { total: 3 },
      restoredFrom: { kind: 'savepoint', id: savepointId },
    });
    expect(finished.status!.restarts ?? 0).toBe(0);
    await expectCorpusCountedOnce(fixture!, 'out2/');
  });
});

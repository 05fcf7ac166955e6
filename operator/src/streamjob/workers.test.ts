import { JOB_UID, makePod } from '../../../test/harness/operator-fixtures.ts';
import { observeWorker, observeWorkers, planPods } from './workers.ts';

const name = (attempt: number) => (i: number) => `wc-${attempt}-${i}`;

describe('observeWorker', () => {
  it.each([
    ['pending', 'starting', undefined],
    ['running-not-ready', 'starting', undefined],
    ['ready', 'ready', undefined],
    ['failed', 'failed', 'OOMKilled'],
    ['succeeded', 'succeeded', 'Completed'],
    ['image-pull-backoff', 'stuck', 'ImagePullBackOff'],
    ['terminating', 'terminating', undefined],
  ] as const)('classifies a %s pod as %s', (shape, state, reason) => {
    const w = observeWorker(makePod(2, 1, shape));
    expect(w).toMatchObject({ name: 'wc-2-1', attempt: 2, index: 1, specHash: 'h1', state });
    expect(w.reason).toBe(reason);
  });

  it('says why a worker failed', () => {
    expect(observeWorker(makePod(1, 0, 'failed')).message).toBe('exit code 137');
    const evicted = makePod(1, 0, 'pending');
    evicted.status = { phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory.' };
    expect(observeWorker(evicted)).toMatchObject({
      state: 'failed',
      reason: 'Evicted',
      message: 'The node was low on resource: memory.',
    });
  });
});

describe('observeWorkers', () => {
  it('sorts pods into current, missing and stale relative to the attempt and spec hash', () => {
    const pods = [
      makePod(2, 1, 'ready'),
      makePod(1, 0, 'ready'), // previous attempt
      makePod(2, 0, 'ready', { specHash: 'old' }), // right name, other spec
      makePod(2, 5, 'pending'), // index beyond parallelism
    ];
    const obs = observeWorkers(pods, JOB_UID, 2, 3, 'h1', name(2));
    expect(obs.current.map((w) => w.name)).toEqual(['wc-2-1']);
    expect(obs.missing).toEqual([0, 2]);
    expect(obs.stale.map((w) => w.name).sort()).toEqual(['wc-1-0', 'wc-2-0', 'wc-2-5']);
    expect(obs.ready).toBe(1);
    expect(obs.foreign).toEqual([]);
  });

  it('ignores pods it does not control, but notes those that hold a needed name', () => {
    const pods = [
      makePod(1, 0, 'ready', { ownerUid: 'someone-else' }),
      makePod(9, 9, 'ready', { ownerUid: 'x' }),
    ];
    const obs = observeWorkers(pods, JOB_UID, 1, 2, 'h1', name(1));
    expect(obs.current).toEqual([]);
    expect(obs.stale).toEqual([]);
    expect(obs.missing).toEqual([0, 1]);
    expect(obs.foreign).toEqual([{ index: 0, name: 'wc-1-0' }]);
  });
});

describe('planPods', () => {
  it('creates the missing pods of a clean attempt', () => {
    const obs = observeWorkers([makePod(1, 0, 'ready')], JOB_UID, 1, 3, 'h1', name(1));
    expect(planPods(obs, false)).toEqual({ delete: [], create: [1, 2] });
  });

  it('deletes the previous attempt first and creates nothing until it is gone', () => {
    const obs = observeWorkers(
      [makePod(1, 0, 'ready'), makePod(1, 1, 'terminating')],
      JOB_UID,
      2,
      2,
      'h1',
      name(2),
    );
    const plan = planPods(obs, false);
    expect(plan.delete).toEqual([{ name: 'wc-1-0', reason: 'belongs to attempt 1, not the current one' }]);
    expect(plan.create).toEqual([]);
    expect(plan.blockedBy).toBe('waiting for 2 pod(s) of a previous attempt to terminate');
  });

  it('deletes every pod, current ones included, when suspended, and does not delete twice', () => {
    const obs = observeWorkers(
      [makePod(2, 0, 'ready'), makePod(1, 0, 'ready'), makePod(2, 1, 'terminating')],
      JOB_UID,
      2,
      2,
      'h1',
      name(2),
    );
    const plan = planPods(obs, true);
    expect(plan.delete.map((d) => d.name).sort()).toEqual(['wc-1-0', 'wc-2-0']);
    expect(plan.create).toEqual([]);
  });

  it('creates around names taken by foreign pods and says who blocks the rest', () => {
    const obs = observeWorkers([makePod(1, 0, 'ready', { ownerUid: 'other' })], JOB_UID, 1, 2, 'h1', name(1));
    const plan = planPods(obs, false);
    expect(plan.create).toEqual([1]);
    expect(plan.blockedBy).toBe(
      'pod name(s) wc-1-0 are taken by pods this job does not control; delete them',
    );
  });
});

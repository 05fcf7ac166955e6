import type { StreamJob } from '@sluice/api/streamjob.ts';
import { makeJob, makePod } from '../../../test/harness/operator-fixtures.ts';
import { jobChangeMatters, owningJobKey, podChange } from './predicates.ts';

describe('StreamJob controller predicates', () => {
  it('maps a worker pod to the StreamJob that controls it', () => {
    expect(owningJobKey(makePod(1, 0))).toBe('ns/wc');
    const labelled = makePod(1, 0);
    labelled.metadata!.ownerReferences = [];
    expect(owningJobKey(labelled)).toBe('ns/wc');
    const foreign = makePod(1, 0);
    foreign.metadata!.ownerReferences = [];
    foreign.metadata!.labels = {};
    expect(owningJobKey(foreign)).toBeUndefined();
  });

  it('reacts to the start of a job deletion', () => {
    const a = makeJob();
    const deleting = makeJob();
    deleting.metadata!.deletionTimestamp = new Date(0);
    expect(jobChangeMatters(a, deleting)).toBe(true);
  });

  it('ignores job updates that only touch status (our own writes)', () => {
    const a = makeJob();
    const statusOnly: StreamJob = {
      ...a,
      status: { phase: 'Running' },
      metadata: { ...a.metadata, resourceVersion: '101' },
    };
    expect(jobChangeMatters(a, statusOnly)).toBe(false);
    expect(jobChangeMatters(a, a)).toBe(true); // resync
    expect(jobChangeMatters(a, makeJob({ parallelism: 5 }, undefined, 2))).toBe(true);
    const annotated = makeJob();
    annotated.metadata!.annotations = { 'sluice.dev/restart': 'x' };
    expect(jobChangeMatters(a, annotated)).toBe(true);
  });

  it("ignores the checkpoint protocol's own annotations on the job, not a user's beside them", () => {
    const a = makeJob();
    a.metadata!.annotations = { 'sluice.dev/checkpoint-request': '{"id":1,"attempt":1}' };
    const requested = makeJob();
    requested.metadata!.annotations = {
      'sluice.dev/checkpoint-request': '{"id":2,"attempt":1}',
      'sluice.dev/checkpoint-final': '2',
    };
    expect(jobChangeMatters(a, requested)).toBe(false);
    const user = makeJob();
    user.metadata!.annotations = { ...requested.metadata!.annotations, 'sluice.dev/checkpoint': 'n1' };
    expect(jobChangeMatters(requested, user)).toBe(true);
  });

  it('tells pod status and deletion changes from ack-only changes from the rest', () => {
    const p = makePod(1, 0, 'pending');
    expect(podChange(p, makePod(1, 0, 'ready'))).toBe('state');
    expect(podChange(p, makePod(1, 0, 'terminating'))).toBe('state');
    const annotated = makePod(1, 0, 'pending');
    annotated.metadata!.annotations!['sluice.dev/checkpoint-request'] = '{"id":1}';
    expect(podChange(p, annotated)).toBe('none');
    const acked = makePod(1, 0, 'pending');
    acked.metadata!.annotations!['sluice.dev/checkpoint-ack'] = '{"id":1}';
    expect(podChange(p, acked)).toBe('ack');
    const ackedAndReady = makePod(1, 0, 'ready');
    ackedAndReady.metadata!.annotations!['sluice.dev/checkpoint-ack'] = '{"id":1}';
    expect(podChange(p, ackedAndReady)).toBe('state');
    expect(podChange(p, p)).toBe('state'); // resync
    const relabelled = makePod(1, 0, 'pending');
    relabelled.metadata!.labels = { ...relabelled.metadata!.labels, extra: 'x' };
    expect(podChange(p, relabelled)).toBe('none');
  });
});

import type { V1Pod } from '@kubernetes/client-node';
import { committedSnapshotId } from '@sluice/api/protocol.ts';
import type { StreamJob, StreamJobStatus } from '@sluice/api/streamjob.ts';
import { makeJob } from '../../../test/harness/operator-fixtures.ts';
import {
  abandonedForNewAttempt,
  abortedStatus,
  ackOf,
  checkpointRequest,
  completedStatus,
  finalIdOf,
  finalNoticeDue,
  jobRequestOf,
  requestMissing,
  snapshotMetadata,
  triggeredStatus,
} from './snapshot-status.ts';

const T0 = Date.parse('2026-11-23T10:00:00Z');
const pod = (annotations: Record<string, string>): V1Pod => ({ metadata: { name: 'wc-1-0', annotations } });

describe('reading worker pods', () => {
  it('parses acks, requests and commits, ignoring malformed values', () => {
    expect(
      ackOf(
        pod({
          'sluice.dev/checkpoint-ack': JSON.stringify({
            id: 3,
            subtask: 1,
            bytes: 10,
            files: [{ key: 'state-1.snap', bytes: 10, sha256: 'b'.repeat(64) }, 'old-format.snap'],
            keyGroupRange: { start: 64, end: 127 },
          }),
        }),
      ),
    ).toEqual({
      id: 3,
      subtask: 1,
      bytes: 10,
      files: [{ key: 'state-1.snap', bytes: 10, sha256: 'b'.repeat(64) }],
      keyGroupRange: { start: 64, end: 127 },
    });
    const shared = { key: 's1-w0-ab/2-000009.sst', bytes: 90, sha256: 'c'.repeat(64) };
    expect(
      ackOf(
        pod({
          'sluice.dev/checkpoint-ack': JSON.stringify({
            id: 3,
            subtask: 0,
            bytes: 100,
            uploadedBytes: 10,
            files: [{ key: 'state-0.snap', bytes: 10, sha256: 'b'.repeat(64) }],
            sharedFiles: [shared, { key: 'not-a-shared-key', bytes: 1, sha256: 'd'.repeat(64) }],
          }),
        }),
      ),
    ).toMatchObject({ bytes: 100, uploadedBytes: 10, sharedFiles: [shared] });
    expect(ackOf(pod({ 'sluice.dev/checkpoint-ack': '{"id":3,"subtask":0,"error":"disk"}' }))).toMatchObject({
      error: 'disk',
      bytes: 0,
      files: [],
    });
    expect(ackOf(pod({ 'sluice.dev/checkpoint-ack': 'nope' }))).toBeUndefined();
    expect(ackOf(pod({ 'sluice.dev/checkpoint-ack': '{"id":1}' }))).toBeUndefined();
    expect(ackOf(pod({}))).toBeUndefined();
  });
});

describe('reading the StreamJob', () => {
  const job = (annotations: Record<string, string>, status?: StreamJobStatus): StreamJob => {
    const j = makeJob({}, status);
    j.metadata!.annotations = annotations;
    return j;
  };

  it('parses the request and final annotations, ignoring malformed values', () => {
    expect(
      jobRequestOf(job({ 'sluice.dev/checkpoint-request': '{"id":4,"attempt":2,"kind":"checkpoint"}' })),
    ).toEqual({ id: 4, attempt: 2 });
    expect(jobRequestOf(job({ 'sluice.dev/checkpoint-request': '{' }))).toBeUndefined();
    expect(jobRequestOf(job({}))).toBeUndefined();
    expect(finalIdOf(job({ 'sluice.dev/checkpoint-final': '7' }))).toBe(7);
    expect(finalIdOf(job({ 'sluice.dev/checkpoint-final': '-1' }))).toBeUndefined();
  });

  it('writes a request again when the job lacks it or holds one for another attempt', () => {
    const req = checkpointRequest({
      id: 4,
      attempt: 2,
      kind: 'checkpoint',
      nonce: undefined,
      path: 'p/chk-4',
      stop: false,
      now: T0,
    });
    expect(req).toMatchObject({ id: 4, attempt: 2 });
    expect(requestMissing(job({}), req)).toBe(true);
    expect(requestMissing(job({ 'sluice.dev/checkpoint-request': '{"id":3,"attempt":2}' }), req)).toBe(true);
    expect(requestMissing(job({ 'sluice.dev/checkpoint-request': '{"id":4,"attempt":1}' }), req)).toBe(true);
    expect(requestMissing(job({ 'sluice.dev/checkpoint-request': JSON.stringify(req) }), req)).toBe(false);
  });

  it('gives the final notice only when every pod acked the committed id as final, once', () => {
    const ack = (id: number, subtask: number, final?: boolean) =>
      pod({
        'sluice.dev/checkpoint-ack': JSON.stringify({
          id,
          subtask,
          bytes: 1,
          files: [],
          ...(final ? { final } : {}),
        }),
      });
    expect(ackOf(ack(3, 0, true))?.final).toBe(true);
    expect(ackOf(ack(3, 0))).not.toHaveProperty('final');
    const committed3 = { checkpoints: { lastCompleted: { id: 3, path: 'p/chk-3' } } };

    expect(finalNoticeDue(job({}, committed3), [ack(3, 0, true), ack(3, 1)])).toBeUndefined();
    expect(finalNoticeDue(job({}, committed3), [ack(3, 0, true), ack(3, 1, true)])).toBe(3);
    // A final ack of an older id does not make a newer commit final.
    expect(finalNoticeDue(job({}, committed3), [ack(2, 0, true), ack(3, 1, true)])).toBeUndefined();
    expect(finalNoticeDue(job({}, committed3), [])).toBeUndefined();
    // Acked final but not committed yet: the commit notice comes first.
    expect(
      finalNoticeDue(job({}, { checkpoints: { lastCompleted: { id: 2, path: 'p/chk-2' } } }), [
        ack(3, 0, true),
      ]),
    ).toBeUndefined();
    // Already given: not again (an operator that crashed before giving it gives it on its next reconcile).
    expect(
      finalNoticeDue(job({ 'sluice.dev/checkpoint-final': '3' }, committed3), [ack(3, 0, true)]),
    ).toBeUndefined();
  });

  it('commits the newest of the last checkpoint and the last savepoint', () => {
    expect(committedSnapshotId(undefined)).toBeUndefined();
    expect(committedSnapshotId({ checkpoints: { lastCompleted: { id: 4, path: 'c' } } })).toBe(4);
    expect(
      committedSnapshotId({
        checkpoints: { lastCompleted: { id: 4, path: 'c' } },
        savepoints: { last: { id: 5, path: 's' } },
      }),
    ).toBe(5);
  });
});

describe('status transitions', () => {
  const base: StreamJobStatus = { attempt: 1, checkpoints: { lastCompleted: { id: 2, path: 'p/chk-2' } } };

  it('trigger: id in progress and handed out; a served request is Accepted', () => {
    const t = {
      id: 3,
      attempt: 1,
      kind: 'savepoint' as const,
      nonce: 'n1',
      path: 'p/sp-3-n1',
      stop: false,
      now: T0,
    };
    const s = triggeredStatus(base, t);
    expect(s.checkpoints).toMatchObject({
      inProgress: {
        id: 3,
        kind: 'savepoint',
        path: 'p/sp-3-n1',
        nonce: 'n1',
        triggeredAt: '2026-11-23T10:00:00Z',
      },
      lastTriggered: { id: 3, kind: 'savepoint' },
      lastCompleted: { id: 2 },
    });
    expect(s.lastHandledRequests?.savepoint).toMatchObject({ nonce: 'n1', result: 'Accepted' });
    expect(checkpointRequest({ ...t, stop: true })).toEqual({
      id: 3,
      attempt: 1,
      kind: 'savepoint',
      path: 'p/sp-3-n1',
      stop: true,
      triggeredAt: '2026-11-23T10:00:00Z',
    });
    // Workers retry their ack until the snapshot's timeout (runtime control/ack-retry.ts).
    expect(checkpointRequest({ ...t, timeoutSeconds: 90 })).toMatchObject({ id: 3, timeoutSeconds: 90 });
    expect(
      triggeredStatus(base, { ...t, kind: 'checkpoint', nonce: undefined }).lastHandledRequests,
    ).toBeUndefined();
  });

  it('complete: a checkpoint becomes lastCompleted, CheckpointsHealthy=True', () => {
    const started = triggeredStatus(base, {
      id: 3,
      attempt: 1,
      kind: 'checkpoint',
      nonce: 'c1',
      path: 'p/chk-3',
      stop: false,
      now: T0,
    });
    // An incremental checkpoint: 200 bytes of state, 50 of them uploaded for it.
    const s = completedStatus(started, started.checkpoints!.inProgress!, 200, T0 + 2000, 10, 50);
    expect(s.checkpoints!.inProgress).toBeUndefined();
    expect(s.checkpoints!.lastCompleted).toEqual({
      id: 3,
      path: 'p/chk-3',
      completedAt: '2026-11-23T10:00:02Z',
      bytes: 200,
      uploadedBytes: 50,
      durationMs: 2000,
    });
    expect(s.lastHandledRequests?.checkpoint).toMatchObject({ nonce: 'c1', result: 'Completed' });
    expect(s.conditions?.find((c) => c.type === 'CheckpointsHealthy')?.status).toBe('True');
  });

  it('complete: a savepoint heads a history bounded by historyLimit, lastCompleted unchanged', () => {
    let s: StreamJobStatus = base;
    for (const id of [3, 4, 5]) {
      s = triggeredStatus(s, {
        id,
        attempt: 1,
        kind: 'savepoint',
        nonce: `n${id}`,
        path: `p/sp-${id}`,
        stop: false,
        now: T0,
      });
      s = completedStatus(s, s.checkpoints!.inProgress!, 1, T0, 2);
    }
    expect(s.savepoints!.last).toMatchObject({ id: 5, nonce: 'n5' });
    expect(s.savepoints!.history!.map((h) => h.id)).toEqual([5, 4]);
    expect(s.checkpoints!.lastCompleted!.id).toBe(2);
  });

  it('abort: counted and described, CheckpointsHealthy=False, request Failed', () => {
    const started = triggeredStatus(base, {
      id: 3,
      attempt: 1,
      kind: 'checkpoint',
      nonce: 'c1',
      path: 'p/chk-3',
      stop: false,
      now: T0,
    });
    const s = abortedStatus(
      started,
      started.checkpoints!.inProgress!,
      'Timeout',
      'no ack from subtask(s) 1',
      T0,
    );
    expect(s.checkpoints).toMatchObject({
      failed: 1,
      lastFailure: { id: 3, reason: 'Timeout' },
      lastCompleted: { id: 2 },
    });
    expect(s.checkpoints!.inProgress).toBeUndefined();
    expect(s.lastHandledRequests?.checkpoint).toMatchObject({ nonce: 'c1', result: 'Failed' });
    const cond = s.conditions!.find((c) => c.type === 'CheckpointsHealthy')!;
    expect(cond).toMatchObject({ status: 'False', reason: 'CheckpointTimeout' });
  });

  it('builds _metadata from the acks in subtask order', () => {
    const m = snapshotMetadata({
      inProgress: { id: 3, kind: 'checkpoint', path: 'p/chk-3', triggeredAt: '2026-11-23T10:00:00Z' },
      job: { namespace: 'ns', name: 'wc', uid: 'u' },
      maxParallelism: 128,
      attempt: 2,
      acks: [
        { id: 3, subtask: 0, bytes: 5, files: [{ key: 'state-0.snap', bytes: 5, sha256: 'a'.repeat(64) }] },
        { id: 3, subtask: 1, bytes: 7, files: [{ key: 'state-1.snap', bytes: 7, sha256: 'b'.repeat(64) }] },
      ],
      now: T0 + 1000,
    });
    expect(m).toMatchObject({
      formatVersion: 2,
      id: 3,
      parallelism: 2,
      bytes: 12,
      attempt: 2,
      maxParallelism: 128,
    });
  });
});

describe('abandonedForNewAttempt', () => {
  it('aborts the snapshot in progress of the previous attempt, failing a served request', () => {
    const status: StreamJobStatus = {
      attempt: 1,
      checkpoints: {
        lastCompleted: { id: 2, path: 'p/chk-2' },
        inProgress: {
          id: 3,
          kind: 'savepoint',
          path: 'p/sp-3-n1',
          nonce: 'n1',
          triggeredAt: '2026-11-23T09:59:00Z',
        },
        failed: 1,
      },
    };
    const s = abandonedForNewAttempt(status, 2, 'RestartRequested', T0);
    expect(s.checkpoints).toEqual({
      lastCompleted: { id: 2, path: 'p/chk-2' },
      failed: 2,
      lastFailure: {
        id: 3,
        reason: 'AttemptEnded',
        message:
          'savepoint 3 abandoned: attempt 2 starts (RestartRequested) and replaces the workers that took it',
        failedAt: '2026-11-23T10:00:00Z',
      },
    });
    expect(s.lastHandledRequests?.savepoint).toMatchObject({ nonce: 'n1', result: 'Failed' });
    expect(s.conditions?.find((c) => c.type === 'CheckpointsHealthy')).toMatchObject({
      status: 'False',
      reason: 'CheckpointAttemptEnded',
    });
  });

  it('leaves a status without a snapshot in progress as it is', () => {
    const status: StreamJobStatus = {
      attempt: 1,
      checkpoints: { lastCompleted: { id: 2, path: 'p/chk-2' } },
    };
    expect(abandonedForNewAttempt(status, 2, 'SpecChanged', T0)).toBe(status);
  });
});

describe('periodic savepoints', () => {
  it('records the trigger time and no request, and lists the savepoint in history', () => {
    const base: StreamJobStatus = { attempt: 1, lastHandledRequests: {} };
    const t = {
      id: 5,
      attempt: 1,
      kind: 'savepoint' as const,
      nonce: '_periodic',
      path: 'p/sp-5-_periodic',
      stop: false,
      now: T0,
    };
    const s = triggeredStatus(base, t);
    expect(s.savepoints?.lastPeriodicTriggeredAt).toBe('2026-11-23T10:00:00Z');
    expect(s.lastHandledRequests).toEqual({});
    const done = completedStatus(s, s.checkpoints!.inProgress!, 10, T0 + 1000, 10);
    expect(done.lastHandledRequests).toEqual({});
    expect(done.savepoints).toMatchObject({
      lastPeriodicTriggeredAt: '2026-11-23T10:00:00Z',
      last: { id: 5, nonce: '_periodic' },
      history: [{ id: 5, nonce: '_periodic' }],
    });
  });
});

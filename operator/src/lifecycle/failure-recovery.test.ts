import type { NodeHealth } from '../streamjob/node-loss.ts';
import type { V1Pod } from '@kubernetes/client-node';
import {
  attemptHasRun,
  corruptedRestoreSource,
  decideRecovery,
  restoreCandidates,
  workerHealth,
} from './failure-recovery.ts';

const T0 = Date.parse('2026-11-23T10:00:00Z');
const policy = { maxRestarts: 3, backoffSeconds: 2, maxBackoffSeconds: 10, notReadyTimeoutSeconds: 60 };
const ok = { name: 'wc-1-0', failed: false };
const bad = { name: 'wc-1-1', failed: true, failedAt: T0, detail: 'exit code 137' };

describe('decideRecovery', () => {
  it('does nothing while no worker failed', () => {
    expect(decideRecovery({ now: T0, policy, restarts: 0, workers: [ok] })).toEqual({ action: 'none' });
  });

  it('waits for the backoff (doubling per restart), then restarts', () => {
    expect(decideRecovery({ now: T0 + 1000, policy, restarts: 0, workers: [ok, bad] })).toMatchObject({
      action: 'wait',
      requeueAfterMs: 1000,
    });
    expect(decideRecovery({ now: T0 + 3000, policy, restarts: 1, workers: [ok, bad] })).toMatchObject({
      action: 'wait',
      requeueAfterMs: 1000,
    });
    const r = decideRecovery({ now: T0 + 2000, policy, restarts: 0, workers: [ok, bad] });
    expect(r).toEqual({
      action: 'restart',
      message: 'worker(s) wc-1-1 (exit code 137) failed; restart 1 of at most 3',
    });
  });

  it('counts the backoff of a deleted worker (no failure time) from the attempt start', () => {
    const deleted = { name: 'wc-1-0', failed: true, detail: 'pod deleted' };
    const o = { policy, restarts: 0, workers: [deleted], attemptStartedAt: T0 };
    expect(decideRecovery({ ...o, now: T0 + 500 })).toMatchObject({ action: 'wait', requeueAfterMs: 1500 });
    expect(decideRecovery({ ...o, now: T0 + 60_000 }).action).toBe('restart');
  });

  it('fails at once, whatever the budget, when a worker failed with an error a restart cannot fix', () => {
    const loadError = {
      ...bad,
      terminationMessage:
        'JobLoadError: job entry "nope" is not a built-in job (wordcount) nor a module path',
    };
    for (const restarts of [0, 3]) {
      const r = decideRecovery({ now: T0, policy, restarts, workers: [ok, loadError] });
      expect(r).toMatchObject({ action: 'fail', reason: 'JobLoadFailed' });
      expect((r as { message: string }).message).toContain('job entry "nope" is not a built-in job');
    }
    const transient = { ...bad, terminationMessage: 'ShuffleError: lost peer' };
    expect(decideRecovery({ now: T0, policy, restarts: 0, workers: [transient] }).action).toBe('wait');
  });

  it('restarts after an unavailable Kafka with its own doubling backoff, outside the budget and rate', () => {
    const down = {
      ...bad,
      terminationMessage:
        'KafkaUnavailableError: cannot read metadata of topics events from kafka:9092: ECONNREFUSED',
    };
    // The budget is spent and the rate limit would refuse: neither applies.
    const spent = { ...policy, restartRateLimit: { maxRestarts: 1, windowSeconds: 600 } };
    const o = { policy: spent, restarts: 3, recentRestarts: ['2026-11-23T09:59:59Z'], workers: [ok, down] };
    const waiting = decideRecovery({ ...o, now: T0 + 1000, unavailableRestarts: 0 });
    expect(waiting).toMatchObject({
      action: 'wait',
      requeueAfterMs: 1000,
      problem: { reason: 'KafkaUnavailable' },
    });
    expect((waiting as { problem: { message: string } }).problem.message).toBe(
      'worker wc-1-1 cannot use Kafka: cannot read metadata of topics events from kafka:9092: ECONNREFUSED; ' +
        'restarted with backoff, not counted against the restart budget; next attempt in 1s',
    );
    // 2 s · 2^2 = 8 s after the third restart for it; capped at maxBackoffSeconds (10 s) later.
    expect(decideRecovery({ ...o, now: T0 + 7000, unavailableRestarts: 2 })).toMatchObject({
      action: 'wait',
      requeueAfterMs: 1000,
    });
    expect(decideRecovery({ ...o, now: T0 + 9000, unavailableRestarts: 9 })).toMatchObject({
      action: 'wait',
      requeueAfterMs: 1000,
    });
    expect(decideRecovery({ ...o, now: T0 + 8000, unavailableRestarts: 2 })).toMatchObject({
      action: 'restart',
      unavailable: 'KafkaUnavailable',
    });
  });

  it('gives up when the rate limit allows no restart within the window before the failure', () => {
    const limited = { ...policy, maxRestarts: 10, restartRateLimit: { maxRestarts: 2, windowSeconds: 60 } };
    const recentRestarts = ['2026-11-23T09:59:10Z', '2026-11-23T09:59:40Z'];
    const r = decideRecovery({
      now: T0 + 60_000,
      policy: limited,
      restarts: 2,
      recentRestarts,
      workers: [bad],
    });
    expect(r).toMatchObject({ action: 'giveUp', reason: 'RestartRateExceeded' });
    expect((r as { message: string }).message).toMatch(
      /^worker\(s\) wc-1-1 \(exit code 137\) failed after 2 restarts within 60s/,
    );
    const older = ['2026-11-23T09:58:00Z', '2026-11-23T09:59:40Z'];
    expect(
      decideRecovery({
        now: T0 + 60_000,
        policy: limited,
        restarts: 2,
        recentRestarts: older,
        workers: [bad],
      }).action,
    ).toBe('restart');
  });

  it('counts many failed workers instead of listing them, under 4 KiB', () => {
    const many = Array.from({ length: 37 }, (_, i) => ({
      name: `a-1-${i}`,
      failed: true,
      failedAt: T0,
      detail: `OOMKilled ${'y'.repeat(4096)}`,
    }));
    const r = decideRecovery({ now: T0 + 2000, policy, restarts: 0, workers: many }) as { message: string };
    expect(r.message).toMatch(
      /^37 workers failed: a-1-0 \(OOMKilled y+…, a-1-1 .*, … and 34 more; restart 1 of at most 3$/,
    );
    expect(Buffer.byteLength(r.message, 'utf8')).toBeLessThan(4096);
    const gaveUp = decideRecovery({ now: T0, policy, restarts: 3, workers: many }) as { message: string };
    expect(Buffer.byteLength(gaveUp.message, 'utf8')).toBeLessThan(4096);
  });

  it('gives up once the budget is spent, saying what to do', () => {
    const r = decideRecovery({ now: T0 + 60_000, policy, restarts: 3, workers: [bad] });
    expect(r).toMatchObject({ action: 'giveUp', reason: 'RestartBudgetExhausted' });
    expect((r as { message: string }).message).toMatch(/restart budget of 3 is spent.*sluice.dev\/restart/);
  });
});

describe('restoreCandidates', () => {
  it('orders the newest status snapshot first, then older stored checkpoints, then the current restore source', () => {
    const c = restoreCandidates(
      {
        checkpoints: { lastCompleted: { id: 7, path: 'p/chk-7' } },
        savepoints: { last: { id: 5, path: 'p/sp-5-n' } },
        restoredFrom: { kind: 'savepoint', id: 1, path: 'p/sp-1-x' },
      },
      [
        { id: 6, path: 'p/chk-6' },
        { id: 7, path: 'p/chk-7' },
      ],
    );
    expect(c.map((x) => x.path)).toEqual(['p/chk-7', 'p/sp-5-n', 'p/chk-6', 'p/sp-1-x']);
    expect(restoreCandidates({}, [])).toEqual([]);
  });
});

describe('deleted workers', () => {
  it('an attempt has run once a worker was up; a deleted worker waits for a known failure time', () => {
    expect(attemptHasRun(undefined, ['starting', 'starting'])).toBe(false);
    expect(attemptHasRun(undefined, ['ready'])).toBe(true);
    expect(attemptHasRun(undefined, ['failed', 'starting'])).toBe(true);
  });

  it('knows an attempt has run from a snapshot triggered in it, with no pod left', () => {
    const status = (triggeredAt: string) => ({
      attemptStartedAt: '2026-11-23T10:00:05Z',
      checkpoints: { lastTriggered: { id: 3, triggeredAt } },
    });
    expect(attemptHasRun(status('2026-11-23T10:00:09Z'), [])).toBe(true);
    // The previous attempt's trigger, even in the second the attempt started.
    expect(attemptHasRun(status('2026-11-23T10:00:05Z'), [])).toBe(false);
    expect(attemptHasRun(status('2026-11-23T09:59:00Z'), [])).toBe(false);
    expect(attemptHasRun({ attemptStartedAt: '2026-11-23T10:00:05Z' }, [])).toBe(false);
    const deleted = { name: 'wc-1-0', failed: true, detail: 'pod deleted' };
    expect(decideRecovery({ now: T0, policy, restarts: 0, workers: [deleted] })).toMatchObject({
      action: 'wait',
    });
    expect(decideRecovery({ now: T0 + 2000, policy, restarts: 0, workers: [deleted, bad] }).action).toBe(
      'restart',
    );
  });
});

describe('workerHealth', () => {
  const pod = (status: V1Pod['status']): V1Pod => ({
    metadata: { name: 'wc-1-0', labels: { 'sluice.dev/attempt': '1', 'sluice.dev/subtask': '0' } },
    status,
  });
  const readyCond = (status: 'True' | 'False', at: number) => ({
    type: 'Ready',
    status,
    lastTransitionTime: new Date(at),
  });

  it('a Failed pod failed when its container finished', () => {
    const h = workerHealth(
      pod({
        phase: 'Failed',
        containerStatuses: [
          {
            name: 'worker',
            image: 'x',
            imageID: '',
            ready: false,
            restartCount: 0,
            state: { terminated: { exitCode: 137, finishedAt: new Date(T0) } },
          },
        ],
      }),
      T0 + 5000,
      policy,
    );
    expect(h).toMatchObject({ failed: true, failedAt: T0, detail: expect.stringContaining('exit code 137') });
    expect(h.terminationMessage).toBeUndefined();
  });

  it("a Failed pod carries the runtime's termination message", () => {
    const message = 'JobConfigError: job config output must have "s3" or "log"';
    const h = workerHealth(
      pod({
        phase: 'Failed',
        containerStatuses: [
          {
            name: 'worker',
            image: 'x',
            imageID: '',
            ready: false,
            restartCount: 0,
            state: { terminated: { exitCode: 1, message, finishedAt: new Date(T0) } },
          },
        ],
      }),
      T0,
      policy,
    );
    expect(h).toMatchObject({ failed: true, terminationMessage: message });
  });

  it('a worker not ready past notReadyTimeoutSeconds failed when the timeout passed', () => {
    const starting = pod({ phase: 'Running', conditions: [readyCond('False', T0)] });
    expect(workerHealth(starting, T0 + 59_000, policy).failed).toBe(false);
    expect(workerHealth(starting, T0 + 61_000, policy)).toMatchObject({
      failed: true,
      failedAt: T0 + 60_000,
      detail: 'not ready for more than 60s',
    });
    const ready = pod({ phase: 'Running', conditions: [readyCond('True', T0)] });
    expect(workerHealth(ready, T0 + 600_000, policy).failed).toBe(false);
  });

  it('a ready worker on a lost node failed when the loss is dated; on a healthy node it did not', () => {
    const onNode = (node: string, status: V1Pod['status']): V1Pod => ({
      ...pod(status),
      spec: { nodeName: node, containers: [] },
    });
    const nodes: NodeHealth = {
      lost: (n) =>
        n === 'n2' ? { node: 'n2', since: T0 + 1_000, reason: 'no kubelet heartbeat for 21s' } : undefined,
      lostNodes: () => ['n2'],
    };
    const ready = { phase: 'Running', conditions: [readyCond('True', T0)] };
    expect(workerHealth(onNode('n2', ready), T0 + 2_000, policy, nodes)).toEqual({
      name: 'wc-1-0',
      failed: true,
      failedAt: T0 + 1_000,
      detail: 'node n2 lost: no kubelet heartbeat for 21s',
    });
    expect(workerHealth(onNode('n1', ready), T0 + 2_000, policy, nodes).failed).toBe(false);
    // A worker that finished its work before the node went is not a failure.
    expect(workerHealth(onNode('n2', { phase: 'Succeeded' }), T0 + 2_000, policy, nodes).failed).toBe(false);
  });
});

describe('corruptedRestoreSource', () => {
  const status = { restoredFrom: { kind: 'checkpoint' as const, id: 7, path: 'p/checkpoints/chk-7' } };
  const failed = (terminationMessage?: string) => ({ name: 'j-2-0', failed: true, terminationMessage });

  it('names the restored snapshot when a failed worker found it corrupted', () => {
    expect(
      corruptedRestoreSource(status, [
        failed('SnapshotCorruptedError: snapshot object s3://b/k is corrupted: sha256 mismatch'),
      ]),
    ).toEqual({
      source: status.restoredFrom,
      problem: 'worker j-2-0 found it corrupted: snapshot object s3://b/k is corrupted: sha256 mismatch',
    });
  });

  it('is undefined for other failures, workers that did not fail, or an attempt without a restore', () => {
    expect(corruptedRestoreSource(status, [failed('PeerLostError: peer 1 is gone')])).toBeUndefined();
    expect(corruptedRestoreSource(status, [failed(undefined)])).toBeUndefined();
    expect(
      corruptedRestoreSource(status, [
        { name: 'j-2-0', failed: false, terminationMessage: 'SnapshotCorruptedError: x' },
      ]),
    ).toBeUndefined();
    expect(corruptedRestoreSource({}, [failed('SnapshotCorruptedError: x')])).toBeUndefined();
  });
});

import { makeJob } from '../../../test/harness/operator-fixtures.ts';
import { handledEntry, judgeRequest, pendingRequests } from './requests.ts';

function annotated(annotations: Record<string, string>, handled = {}) {
  const job = makeJob({}, { lastHandledRequests: handled });
  job.metadata!.annotations = annotations;
  return job;
}

const all = new Set(['restart', 'checkpoint', 'savepoint'] as const);
const restartOnly = new Set(['restart'] as const);

describe('requests', () => {
  it('finds the requests whose nonce was not handled yet', () => {
    const job = annotated(
      { 'sluice.dev/savepoint': 'a', 'sluice.dev/restart': 'r2', 'sluice.dev/checkpoint': 'c1', other: 'x' },
      { restart: { nonce: 'r1', result: 'Accepted' }, checkpoint: { nonce: 'c1', result: 'Rejected' } },
    );
    expect(pendingRequests(job)).toEqual([
      { kind: 'savepoint', nonce: 'a' },
      { kind: 'restart', nonce: 'r2' },
    ]);
    expect(pendingRequests(makeJob())).toEqual([]);
  });

  it('accepts a well-formed, supported request on a running job', () => {
    expect(
      judgeRequest({ kind: 'restart', nonce: 'r-2026.01_x' }, { suspended: false, supported: restartOnly }),
    ).toEqual({
      result: 'Accepted',
      message: 'sluice.dev/restart=r-2026.01_x accepted',
    });
  });

  it('rejects malformed nonces, unsupported kinds and requests to a suspended job, saying what to do', () => {
    expect(
      judgeRequest({ kind: 'savepoint', nonce: '' }, { suspended: false, supported: all }).message,
    ).toMatch(/is not a valid nonce/);
    expect(
      judgeRequest({ kind: 'savepoint', nonce: 'x'.repeat(64) }, { suspended: false, supported: all }).result,
    ).toBe('Rejected');
    expect(
      judgeRequest({ kind: 'savepoint', nonce: 'sp1' }, { suspended: false, supported: restartOnly }),
    ).toEqual({
      result: 'Rejected',
      message: 'sluice.dev/savepoint=sp1: savepoint requests are not supported by this operator version',
    });
    expect(judgeRequest({ kind: 'checkpoint', nonce: 'c' }, { suspended: true, supported: all })).toEqual({
      result: 'Rejected',
      message:
        'sluice.dev/checkpoint=c: the job is suspended and has no workers; set spec.state=running first',
    });
  });

  it('records the verdict with the nonce', () => {
    expect(
      handledEntry(
        { kind: 'restart', nonce: 'n' },
        { result: 'Accepted', message: 'm' },
        '2026-01-01T00:00:00Z',
      ),
    ).toEqual({
      nonce: 'n',
      result: 'Accepted',
      message: 'm',
      handledAt: '2026-01-01T00:00:00Z',
    });
  });
});

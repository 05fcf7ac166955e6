import { JOB_UID, makeJob } from '../../../test/harness/operator-fixtures.ts';
import { attemptToken, desiredShuffleTokenSecret, freshToken } from './shuffle-token.ts';

describe('shuffle token', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const secretOf = (attempt: number, token: string, uid = JOB_UID) => ({
    metadata: {
      name: 'wc-shuffle-token',
      labels: { 'sluice.dev/attempt': String(attempt) },
      ownerReferences: [
        { apiVersion: 'sluice.dev/v1alpha1', kind: 'StreamJob', name: 'wc', uid, controller: true },
      ],
    },
    data: { token: b64(token) },
  });

  it('is 32 random bytes, hex, different every time', () => {
    expect(freshToken()).toMatch(/^[0-9a-f]{64}$/);
    expect(freshToken()).not.toBe(freshToken());
  });

  it("keeps the attempt's token and makes a new one for a new attempt", () => {
    expect(attemptToken(secretOf(2, 'old'), 2, JOB_UID, () => 'new')).toBe(b64('old'));
    expect(attemptToken(secretOf(1, 'old'), 2, JOB_UID, () => 'new')).toBe(b64('new'));
    expect(attemptToken(undefined, 1, JOB_UID, () => 'new')).toBe(b64('new'));
  });

  it('never reuses a token from a Secret the job does not control', () => {
    expect(attemptToken(secretOf(2, 'planted', 'someone-else'), 2, JOB_UID, () => 'new')).toBe(b64('new'));
  });

  it('is written to <job>-shuffle-token with the attempt, owned by the job', () => {
    const s = desiredShuffleTokenSecret(makeJob(), 3, b64('t'));
    expect(s.metadata).toMatchObject({
      name: 'wc-shuffle-token',
      namespace: 'ns',
      labels: { 'sluice.dev/attempt': '3', 'sluice.dev/job': 'wc' },
      ownerReferences: [{ uid: JOB_UID, controller: true }],
    });
    expect(s.data).toEqual({ token: b64('t') });
  });
});

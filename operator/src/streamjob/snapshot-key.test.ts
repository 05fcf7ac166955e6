import { JOB_UID, makeJob } from '../../../test/harness/operator-fixtures.ts';
import {
  desiredSnapshotKeySecret,
  freshSnapshotKey,
  jobSnapshotKey,
  snapshotKeyFromSecret,
} from './snapshot-key.ts';

describe('snapshot key', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const KEPT = 'k'.repeat(64);
  const secretOf = (key: string, uid = JOB_UID) => ({
    metadata: {
      name: 'wc-snapshot-key',
      ownerReferences: [
        { apiVersion: 'sluice.dev/v1alpha1', kind: 'StreamJob', name: 'wc', uid, controller: true },
      ],
    },
    data: { key: b64(key) },
  });

  it('is 32 random bytes, hex, different every time', () => {
    expect(freshSnapshotKey()).toMatch(/^[0-9a-f]{64}$/);
    expect(freshSnapshotKey()).not.toBe(freshSnapshotKey());
  });

  it("keeps the job's key for good and makes one only when there is none", () => {
    expect(jobSnapshotKey(secretOf(KEPT), JOB_UID, () => 'n'.repeat(64))).toBe(b64(KEPT));
    expect(jobSnapshotKey(undefined, JOB_UID, () => 'n'.repeat(64))).toBe(b64('n'.repeat(64)));
  });

  it('never takes a key from a Secret the job does not control, nor a short one', () => {
    expect(jobSnapshotKey(secretOf(KEPT, 'someone-else'), JOB_UID, () => 'n'.repeat(64))).toBe(
      b64('n'.repeat(64)),
    );
    expect(jobSnapshotKey(secretOf('short'), JOB_UID, () => 'n'.repeat(64))).toBe(b64('n'.repeat(64)));
  });

  it('is written to <job>-snapshot-key without an attempt label, owned by the job', () => {
    const s = desiredSnapshotKeySecret(makeJob(), b64(KEPT));
    expect(s.metadata).toMatchObject({
      name: 'wc-snapshot-key',
      namespace: 'ns',
      labels: { 'sluice.dev/job': 'wc' },
      ownerReferences: [{ uid: JOB_UID, controller: true }],
    });
    expect(s.metadata!.labels!['sluice.dev/attempt']).toBeUndefined();
    expect(s.data).toEqual({ key: b64(KEPT) });
  });

  it('is read back as bytes, and refused when missing, foreign or short without showing it', () => {
    const job = makeJob();
    expect(snapshotKeyFromSecret(secretOf(KEPT), job)).toEqual(Buffer.from(KEPT));
    expect(() => snapshotKeyFromSecret(undefined, job)).toThrow('Secret ns/wc-snapshot-key does not exist');
    expect(() => snapshotKeyFromSecret(secretOf(KEPT, 'other'), job)).toThrow(
      'Secret ns/wc-snapshot-key is not controlled by the StreamJob',
    );
    expect(() => snapshotKeyFromSecret(secretOf('tiny-secret'), job)).toThrow(
      'key key of Secret ns/wc-snapshot-key is 11 bytes long; a snapshot key needs at least 32',
    );
  });
});

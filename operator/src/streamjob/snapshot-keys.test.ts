import type { V1Secret } from '@kubernetes/client-node';
import { FakeClock } from '../../../test/harness/fake-clock.ts';
import { makeJob } from '../../../test/harness/operator-fixtures.ts';
import { ProblemError } from './problem.ts';
import { desiredSnapshotKeySecret } from './snapshot-key.ts';
import { SnapshotKeys } from './snapshot-keys.ts';

const KEY = 'k'.repeat(64);
const b64 = (v: string) => Buffer.from(v).toString('base64');

function setUp(stored: V1Secret | undefined) {
  const clock = new FakeClock();
  const reads: string[] = [];
  const keys = new SnapshotKeys(
    clock,
    60_000,
    {
      readSecret: async (namespace, name) => {
        reads.push(`${namespace}/${name}`);
        return stored;
      },
    },
    () => 0,
  );
  return { clock, reads, keys };
}

describe('SnapshotKeys', () => {
  it("reads the job's key Secret once per recheck period", async () => {
    const job = makeJob();
    const { clock, reads, keys } = setUp(desiredSnapshotKeySecret(job, b64(KEY)));
    expect((await keys.forJob(job)).toString('utf8')).toBe(KEY);
    await keys.forJob(job);
    expect(reads).toEqual(['ns/wc-snapshot-key']);
    clock.advance(60_000);
    await keys.forJob(job);
    expect(reads).toHaveLength(2);
  });

  it('uses the key the ensure recorded without reading the Secret', async () => {
    const job = makeJob();
    const { reads, keys } = setUp(undefined);
    keys.record(job, desiredSnapshotKeySecret(job, b64(KEY)));
    expect((await keys.forJob(job)).toString('utf8')).toBe(KEY);
    expect(reads).toEqual([]);
  });

  it('refuses a missing Secret as SnapshotKeyMissing, and keeps nothing', async () => {
    const job = makeJob();
    const { reads, keys } = setUp(undefined);
    await expect(keys.forJob(job)).rejects.toThrow(ProblemError);
    await expect(keys.forJob(job)).rejects.toThrow(/does not exist/);
    expect(reads).toHaveLength(2);
  });
});

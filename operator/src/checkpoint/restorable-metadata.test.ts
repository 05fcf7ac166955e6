import { METADATA_FORMAT_VERSION, type SnapshotMetadata } from '@sluice/api/metadata.ts';
import { signMetadata } from '@sluice/api/snapshot-mac.ts';
import { unrestorableReason } from './restorable-metadata.ts';

const KEY = Buffer.from('s'.repeat(64));
const PREFIX = 'sluice/ns/wc/uid-1';

function metadata(): SnapshotMetadata {
  return {
    formatVersion: METADATA_FORMAT_VERSION,
    id: 4,
    kind: 'checkpoint',
    job: { namespace: 'ns', name: 'wc', uid: 'uid-1' },
    maxParallelism: 2,
    parallelism: 1,
    attempt: 1,
    workers: [
      {
        id: 4,
        subtask: 0,
        bytes: 3,
        files: [{ key: 'state-0.snap', bytes: 3, sha256: '1'.repeat(64) }],
        keyGroupRange: { start: 0, end: 1 },
      },
    ],
    bytes: 3,
    triggeredAt: 't',
    completedAt: 't',
  };
}

describe('unrestorableReason', () => {
  const own = { bucket: 'b', dir: `${PREFIX}/checkpoints/chk-4`, jobPrefix: PREFIX };
  const foreign = { bucket: 'b', dir: 'sluice/ns/other/uid-9/savepoints/sp-3-x', jobPrefix: PREFIX };

  it("accepts the job's own signed, complete snapshot", async () => {
    await expect(
      unrestorableReason(signMetadata(metadata(), KEY), own, async () => KEY),
    ).resolves.toBeUndefined();
  });

  it('refuses its own snapshot altered after signing, naming the MAC', async () => {
    const forged = { ...signMetadata(metadata(), KEY), attempt: 2 };
    await expect(unrestorableReason(forged, own, async () => KEY)).resolves.toBe(
      `s3://b/${own.dir}/_metadata: MAC does not match (the document was altered or forged, or signed with another key)`,
    );
  });

  it("checks another job's snapshot for completeness only, without the key", async () => {
    const noKey = async (): Promise<Buffer> => {
      throw new Error('the key must not be needed');
    };
    await expect(unrestorableReason(metadata(), foreign, noKey)).resolves.toBeUndefined();
    const incomplete = metadata();
    incomplete.workers[0]!.keyGroupRange = { start: 0, end: 0 };
    await expect(unrestorableReason(incomplete, foreign, noKey)).resolves.toBe(
      `s3://b/${foreign.dir}/_metadata: key group 1 is covered by no subtask`,
    );
  });
});

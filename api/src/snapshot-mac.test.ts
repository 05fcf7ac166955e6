import { randomBytes } from 'node:crypto';
import { METADATA_FORMAT_VERSION, type SnapshotMetadata } from './metadata.ts';
import {
  canonicalJson,
  metadataMac,
  metadataMacProblem,
  signMetadata,
  snapshotKeyBytes,
} from './snapshot-mac.ts';

function metadata(): SnapshotMetadata {
  return {
    formatVersion: METADATA_FORMAT_VERSION,
    id: 7,
    kind: 'checkpoint',
    job: { namespace: 'ns', name: 'wc', uid: 'u-1' },
    maxParallelism: 4,
    parallelism: 2,
    attempt: 1,
    workers: [
      {
        id: 7,
        subtask: 0,
        bytes: 10,
        files: [{ key: 'state-0.snap', bytes: 10, sha256: 'a'.repeat(64) }],
        keyGroupRange: { start: 0, end: 1 },
      },
      {
        id: 7,
        subtask: 1,
        bytes: 12,
        files: [{ key: 'state-1.snap', bytes: 12, sha256: 'b'.repeat(64) }],
        keyGroupRange: { start: 2, end: 3 },
      },
    ],
    bytes: 22,
    triggeredAt: '2026-12-05T10:00:00Z',
    completedAt: '2026-12-05T10:00:01Z',
  };
}

const KEY = Buffer.from('k'.repeat(64), 'utf8');
const SRC = 's3://b/p/chk-7/_metadata';

describe('canonicalJson', () => {
  it('sorts members by name at every depth and writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 'x', c: null }], é: true, Z: 0.5 })).toBe(
      '{"Z":0.5,"a":[{"c":null,"d":"x"}],"b":1,"é":true}',
    );
  });

  it('leaves out undefined members and writes undefined array items as null', () => {
    expect(canonicalJson({ a: undefined, b: [undefined, 2] })).toBe('{"b":[null,2]}');
  });

  it('is the same for the same data in another member order', () => {
    const m = metadata();
    const reordered = JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(m).reverse()))) as unknown;
    expect(canonicalJson(reordered)).toBe(canonicalJson(m));
  });

  it('refuses values JSON has no form for', () => {
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(/number NaN/);
    expect(() => canonicalJson({ a: 1n })).toThrow(/bigint/);
  });
});

describe('metadata MAC', () => {
  it('is HMAC-SHA256 of the canonical JSON without the mac field', async () => {
    const { createHmac } = await import('node:crypto');
    const m = metadata();
    const expected = createHmac('sha256', KEY).update(canonicalJson(m)).digest('hex');
    expect(metadataMac(m, KEY)).toBe(expected);
    expect(metadataMac({ ...m, mac: 'f'.repeat(64) }, KEY)).toBe(expected);
  });

  it('accepts a signed document, also after a JSON round trip in another member order', () => {
    const signed = signMetadata(metadata(), KEY);
    expect(metadataMacProblem(signed, KEY, SRC)).toBeUndefined();
    const reordered = JSON.parse(
      JSON.stringify(Object.fromEntries(Object.entries(signed).reverse())),
    ) as SnapshotMetadata;
    expect(metadataMacProblem(reordered, KEY, SRC)).toBeUndefined();
  });

  it.each([
    ['the id', (m: SnapshotMetadata) => void (m.id = 8)],
    ['a file hash', (m: SnapshotMetadata) => void (m.workers[1]!.files[0]!.sha256 = 'c'.repeat(64))],
    ['a file size', (m: SnapshotMetadata) => void (m.workers[0]!.files[0]!.bytes = 11)],
    ['a key-group range', (m: SnapshotMetadata) => void (m.workers[0]!.keyGroupRange = { start: 0, end: 2 })],
    ['an added member', (m: SnapshotMetadata) => Object.assign(m, { extra: 1 })],
  ])('refuses a document whose %s changed after signing', (_what, change) => {
    const signed = signMetadata(metadata(), KEY);
    const forged = structuredClone(signed);
    change(forged);
    expect(metadataMacProblem(forged, KEY, SRC)).toBe(
      `${SRC}: MAC does not match (the document was altered or forged, or signed with another key)`,
    );
  });

  it('refuses a document signed with another key, and one without a MAC', () => {
    const other = signMetadata(metadata(), randomBytes(32));
    expect(metadataMacProblem(other, KEY, SRC)).toMatch(/MAC does not match/);
    expect(metadataMacProblem(metadata(), KEY, SRC)).toBe(
      `${SRC} carries no MAC; the job's own snapshots must be signed with its snapshot key`,
    );
  });

  it('takes a key of at least 32 bytes', () => {
    expect(snapshotKeyBytes('x'.repeat(32), 'SLUICE_SNAPSHOT_KEY')).toHaveLength(32);
    expect(() => snapshotKeyBytes('short', 'SLUICE_SNAPSHOT_KEY')).toThrow(
      'SLUICE_SNAPSHOT_KEY is 5 bytes long; a snapshot key needs at least 32',
    );
  });
});

import { JOB_UID, STORAGE, makeJob } from '../../../test/harness/operator-fixtures.ts';
import { foreignPrefixMessage, placePrefix, storageAccess, type S3Prefix } from './storage-access.ts';

const at = (prefix: string, bucket = 'sluice'): S3Prefix => ({ bucket, prefix, source: 'x' });

describe('storageAccess', () => {
  it('grants the job prefix and declared output read/write, the input and initial savepoint read only', () => {
    const job = makeJob({
      job: {
        entry: 'wordcount',
        config: {
          input: { s3: { prefix: 'corpus/', bucket: 'texts' } },
          output: { s3: { prefix: 'prod/ns/out/' } },
        },
      },
      initialSavepoint: 's3://sluice/prod/ns/old/uid/savepoints/sp-3-a/',
    });
    expect(storageAccess(job, STORAGE)).toEqual({
      readWrite: [
        { bucket: 'sluice', prefix: `prod/ns/wc/${JOB_UID}/`, source: 'the job key prefix' },
        { bucket: 'sluice', prefix: 'prod/ns/out/', source: 'spec.job.config.output.s3.prefix' },
      ],
      readOnly: [
        { bucket: 'texts', prefix: 'corpus/', source: 'spec.job.config.input.s3.prefix' },
        { bucket: 'sluice', prefix: 'prod/ns/old/uid/savepoints/sp-3-a/', source: 'spec.initialSavepoint' },
      ],
    });
  });

  it('grants read on a restored snapshot outside the job prefix once, whether or not the spec names it', () => {
    const sp = 'prod/ns/src/uid/savepoints/sp-2-x';
    const config = { entry: 'wordcount', config: { input: { generator: {} }, output: { log: {} } } };
    const withRef = makeJob({ job: config, initialSavepointRef: { name: 'snap' } });
    withRef.status = { restoredFrom: { kind: 'savepoint', path: sp } };
    const resolved = { ...withRef, spec: { ...withRef.spec, initialSavepoint: `s3://sluice/${sp}` } };
    const prefixes = (j: typeof withRef) => storageAccess(j, STORAGE).readOnly.map((p) => p.prefix);
    // The reconciler's view (ref resolved) and the job as stored grant the same.
    expect(prefixes(resolved)).toEqual([`${sp}/`]);
    expect(prefixes(withRef)).toEqual([`${sp}/`]);
    // Restored from its own checkpoint: nothing extra.
    withRef.status = {
      restoredFrom: { kind: 'checkpoint', path: `prod/ns/wc/${JOB_UID}/checkpoints/chk-4` },
    };
    expect(prefixes(withRef)).toEqual([]);
  });

  it('grants only the job prefix when the config declares no S3 prefixes', () => {
    const job = makeJob({
      job: { entry: 'wordcount', config: { input: { generator: {} }, output: { log: {} } } },
    });
    expect(storageAccess(job, STORAGE)).toEqual({
      readWrite: [{ bucket: 'sluice', prefix: `prod/ns/wc/${JOB_UID}/`, source: 'the job key prefix' }],
      readOnly: [],
    });
  });
});

describe('placePrefix', () => {
  it('tells the own namespace area, other namespaces and keys outside the jobs area apart', () => {
    expect(placePrefix(at('prod/ns/other-job/x/'), STORAGE, 'ns')).toEqual({ kind: 'own' });
    expect(placePrefix(at('prod/tenant-a/wc/uid/checkpoints/chk-3/'), STORAGE, 'ns')).toEqual({
      kind: 'foreign',
      namespace: 'tenant-a',
    });
    expect(placePrefix(at('corpus/'), STORAGE, 'ns')).toEqual({ kind: 'outside' });
    expect(placePrefix(at('prod/tenant-a/'), { ...STORAGE, bucket: 'other' }, 'ns')).toEqual({
      kind: 'outside',
    });
  });

  it('refuses prefixes that span several namespaces', () => {
    for (const p of ['', 'pr', 'prod', 'prod/', 'prod/n', 'prod/ns'])
      expect(placePrefix(at(p), STORAGE, 'ns')).toEqual({ kind: 'foreign', namespace: undefined });
  });

  it('with an empty storage prefix, leaves the first segment to a namespace lookup', () => {
    const storage = { ...STORAGE, prefix: '' };
    expect(placePrefix(at('ns/out/'), storage, 'ns')).toEqual({ kind: 'own' });
    expect(placePrefix(at('corpus/'), storage, 'ns')).toEqual({ kind: 'maybeForeign', namespace: 'corpus' });
    expect(placePrefix(at('corpus'), storage, 'ns')).toEqual({ kind: 'foreign', namespace: undefined });
    expect(placePrefix(at(''), storage, 'ns')).toEqual({ kind: 'foreign', namespace: undefined });
  });

  it('treats a trailing slash on the storage prefix like none', () => {
    expect(placePrefix(at('prod/a/'), { ...STORAGE, prefix: '/prod/' }, 'ns')).toEqual({
      kind: 'foreign',
      namespace: 'a',
    });
  });
});

describe('foreignPrefixMessage', () => {
  it('names the field, the URL and the namespace', () => {
    const msg = foreignPrefixMessage(
      { bucket: 'sluice', prefix: 'prod/a/out/', source: 'spec.job.config.output.s3.prefix' },
      'ns',
      'a',
    );
    expect(msg).toContain('spec.job.config.output.s3.prefix s3://sluice/prod/a/out/');
    expect(msg).toContain("namespace a's part of the bucket");
  });
});

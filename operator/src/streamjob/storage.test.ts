import { JOB_UID, makeJob } from '../../../test/harness/operator-fixtures.ts';
import { resolveStorage, type StorageDefaults } from './storage.ts';

const defaults: StorageDefaults = {
  endpoint: 'http://minio.sluice-system:9000',
  bucket: 'sluice',
  prefix: 'prod/',
  credentialsSecret: 'sluice-storage-credentials',
  credentialsNamespace: 'sluice-system',
};

describe('resolveStorage', () => {
  it('uses the operator defaults and copies their credentials into the job namespace', () => {
    expect(resolveStorage(makeJob(), defaults)).toEqual({
      ok: true,
      storage: {
        endpoint: 'http://minio.sluice-system:9000',
        bucket: 'sluice',
        prefix: 'prod/',
        jobPrefix: `prod/ns/wc/${JOB_UID}`,
        secretName: 'wc-storage-credentials',
        mintFrom: { namespace: 'sluice-system', name: 'sluice-storage-credentials' },
      },
    });
  });

  it('lets spec.storage override field by field; a job Secret is used as is', () => {
    const job = makeJob({
      storage: { endpoint: 'https://s3.example.com', prefix: '', credentialsSecret: { name: 'mine' } },
    });
    const r = resolveStorage(job, defaults);
    expect(r).toEqual({
      ok: true,
      storage: {
        endpoint: 'https://s3.example.com',
        bucket: 'sluice',
        prefix: '',
        jobPrefix: `ns/wc/${JOB_UID}`,
        secretName: 'mine',
      },
    });
  });

  it('says what is missing and where to set it', () => {
    const r = resolveStorage(makeJob(), { prefix: '', credentialsNamespace: 'sluice-system' });
    expect(r).toEqual({
      ok: false,
      message:
        "no object storage endpoint, bucket, credentialsSecret for StreamJob ns/wc: set spec.storage.endpoint or configure the operator's default storage (SLUICE_STORAGE_* settings, see docs/operator.md)",
    });
  });
});

import { policyDigest, sessionPolicy, wildcardPrefix } from './session-policy.ts';

describe('sessionPolicy', () => {
  it('grants object actions per prefix, prefix-conditioned ListBucket and GetBucketLocation per bucket', () => {
    const policy = sessionPolicy({
      readWrite: [
        { bucket: 'b', prefix: 'p/ns/wc/uid/', source: 'job' },
        { bucket: 'b', prefix: 'p/ns/out/', source: 'out' },
      ],
      readOnly: [{ bucket: 'texts', prefix: 'corpus/', source: 'in' }],
    });
    expect(policy).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: [
            's3:GetObject',
            's3:PutObject',
            's3:DeleteObject',
            's3:AbortMultipartUpload',
            's3:ListMultipartUploadParts',
          ],
          Resource: ['arn:aws:s3:::b/p/ns/wc/uid/*', 'arn:aws:s3:::b/p/ns/out/*'],
        },
        { Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::texts/corpus/*'] },
        {
          Effect: 'Allow',
          Action: ['s3:ListBucket'],
          Resource: ['arn:aws:s3:::b'],
          Condition: { StringLike: { 's3:prefix': ['p/ns/wc/uid/*', 'p/ns/out/*'] } },
        },
        {
          Effect: 'Allow',
          Action: ['s3:ListBucket'],
          Resource: ['arn:aws:s3:::texts'],
          Condition: { StringLike: { 's3:prefix': ['corpus/*'] } },
        },
        {
          Effect: 'Allow',
          Action: ['s3:GetBucketLocation'],
          Resource: ['arn:aws:s3:::b', 'arn:aws:s3:::texts'],
        },
      ],
    });
  });

  it('has no read-only statement when nothing is read only', () => {
    const policy = sessionPolicy({ readWrite: [{ bucket: 'b', prefix: 'j/', source: 'job' }], readOnly: [] });
    expect(policy.Statement.map((s) => s.Action[0])).toEqual([
      's3:GetObject',
      's3:ListBucket',
      's3:GetBucketLocation',
    ]);
  });
});

describe('wildcardPrefix', () => {
  it('finds a declared prefix that IAM would read as a pattern', () => {
    const ok = { bucket: 'b', prefix: 'out/', source: 'o' };
    const star = { bucket: 'b', prefix: 'o*/', source: 's' };
    expect(wildcardPrefix({ readWrite: [ok], readOnly: [] })).toBeUndefined();
    expect(wildcardPrefix({ readWrite: [ok], readOnly: [star] })).toBe(star);
    expect(wildcardPrefix({ readWrite: [{ ...ok, prefix: 'a?' }], readOnly: [] })?.prefix).toBe('a?');
  });
});

describe('policyDigest', () => {
  it('changes with the policy', () => {
    const a = sessionPolicy({ readWrite: [{ bucket: 'b', prefix: 'j/', source: 'job' }], readOnly: [] });
    const b = sessionPolicy({ readWrite: [{ bucket: 'b', prefix: 'k/', source: 'job' }], readOnly: [] });
    expect(policyDigest(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(policyDigest(a)).not.toBe(policyDigest(b));
  });
});

import type { V1Secret } from '@kubernetes/client-node';
import { JOB_UID } from '../../../test/harness/operator-fixtures.ts';
import { currentMinted, halfLife } from './job-credentials.ts';

const b64 = (v: string) => Buffer.from(v).toString('base64');
const HOUR = 3600_000;
const ISSUED = Date.parse('2026-12-05T00:00:00Z');

function secret(over: Record<string, string> = {}, ownerUid = JOB_UID): V1Secret {
  return {
    metadata: {
      ownerReferences: [
        { apiVersion: 'sluice.dev/v1alpha1', kind: 'StreamJob', name: 'wc', uid: ownerUid, controller: true },
      ],
    },
    data: {
      accessKey: b64('AK'),
      secretKey: b64('SK'),
      sessionToken: b64('ST'),
      issuedAt: b64(new Date(ISSUED).toISOString()),
      expiration: b64(new Date(ISSUED + 12 * HOUR).toISOString()),
      policySha256: b64('digest'),
      ...over,
    },
  };
}

describe('halfLife', () => {
  it('is the midpoint of the lifetime', () => {
    expect(halfLife(1000, 3000)).toBe(2000);
  });
});

describe('currentMinted', () => {
  it('returns the stored credentials before half-life, with the renewal time', () => {
    expect(currentMinted(secret(), JOB_UID, 'digest', ISSUED + 6 * HOUR - 1)).toEqual({
      accessKey: 'AK',
      secretKey: 'SK',
      sessionToken: 'ST',
      renewAt: ISSUED + 6 * HOUR,
    });
  });

  it('asks for new ones at half-life, for another policy, another owner, or missing keys', () => {
    expect(currentMinted(secret(), JOB_UID, 'digest', ISSUED + 6 * HOUR)).toBeUndefined();
    expect(currentMinted(secret(), JOB_UID, 'other-digest', ISSUED)).toBeUndefined();
    expect(currentMinted(secret({}, 'someone-else'), JOB_UID, 'digest', ISSUED)).toBeUndefined();
    expect(currentMinted(secret({ sessionToken: '' }), JOB_UID, 'digest', ISSUED)).toBeUndefined();
    expect(currentMinted(secret({ issuedAt: b64('yesterday') }), JOB_UID, 'digest', ISSUED)).toBeUndefined();
    expect(currentMinted(undefined, JOB_UID, 'digest', ISSUED)).toBeUndefined();
  });
});

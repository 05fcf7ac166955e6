import { JOB_UID, makePod } from '../../../test/harness/operator-fixtures.ts';
import { foreignOccupants, podNameConflictMessage, unclaimedNames } from './pod-name-claims.ts';

const foreignPod = (name: string) => ({
  metadata: {
    name,
    ownerReferences: [
      { uid: 'sts-uid', controller: true, kind: 'StatefulSet', name: 'zk-1', apiVersion: 'apps/v1' },
    ],
  },
});

describe('pod name claims', () => {
  const names = ['wc-1-0', 'wc-1-1', 'wc-1-2', 'wc-1-3'];

  it('finds the names held by pods the job does not control', () => {
    const own = makePod(1, 0, 'ready');
    expect(
      foreignOccupants(
        names,
        [own, foreignPod('wc-1-1'), foreignPod('other-0'), { metadata: { name: 'wc-1-3' } }],
        JOB_UID,
      ),
    ).toEqual(['wc-1-1', 'wc-1-3']);
    expect(foreignOccupants(names, [own], JOB_UID)).toEqual([]);
  });

  it('lists the names no pod of the job holds yet', () => {
    expect(unclaimedNames(names, [makePod(1, 0, 'ready'), makePod(1, 2, 'pending')], JOB_UID)).toEqual([
      'wc-1-1',
      'wc-1-3',
    ]);
    expect(unclaimedNames(names, [foreignPod('wc-1-0')], JOB_UID)).toEqual(names);
  });

  it('says which pods collide and what to do, counting long lists', () => {
    expect(podNameConflictMessage('ns', 'zk', 1, ['zk-1-0', 'zk-1-1'])).toBe(
      'pod name(s) zk-1-0, zk-1-1 needed by attempt 1 of StreamJob ns/zk are taken by pods it does not control (worker pods are named <job>-<attempt>-<index>); no worker Role or pod is written for this attempt until those pods are deleted, or recreate the StreamJob under another name',
    );
    const many = Array.from({ length: 40 }, (_, i) => `zk-1-${i}`);
    expect(podNameConflictMessage('ns', 'zk', 1, many)).toMatch(
      /^pod name\(s\) zk-1-0, zk-1-1, zk-1-2, … and 37 more needed/,
    );
  });
});

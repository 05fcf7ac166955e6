import type { V1Lease, V1Node } from '@kubernetes/client-node';
import { excludeLostNodes, judgeNode } from './node-loss.ts';

const T0 = Date.parse('2026-12-05T12:00:00Z');

function node(ready: 'True' | 'False' | 'Unknown' | undefined, since = T0 - 60_000): V1Node {
  return {
    metadata: { name: 'n1' },
    status: ready
      ? {
          conditions: [
            {
              type: 'Ready',
              status: ready,
              reason: 'NodeStatusUnknown',
              lastTransitionTime: new Date(since),
            },
          ],
        }
      : {},
  };
}

function lease(renewedAt: number): V1Lease {
  return { metadata: { name: 'n1', namespace: 'kube-node-lease' }, spec: { renewTime: new Date(renewedAt) } };
}

describe('judgeNode', () => {
  it('a Ready node with a fresh heartbeat is not lost', () => {
    expect(judgeNode('n1', node('True'), lease(T0 - 5_000), T0, 20_000)).toBeUndefined();
  });

  it('a heartbeat older than the grace is lost, dated at the last renewal plus the grace', () => {
    const loss = judgeNode('n1', node('True'), lease(T0 - 25_000), T0, 20_000);
    expect(loss).toEqual({ node: 'n1', since: T0 - 5_000, reason: 'no kubelet heartbeat for 25s' });
  });

  it('a heartbeat exactly at the grace is not lost yet', () => {
    expect(judgeNode('n1', node('True'), lease(T0 - 20_000), T0, 20_000)).toBeUndefined();
  });

  it.each(['False', 'Unknown'] as const)(
    'Ready=%s is lost since its transition, even with no Lease',
    (status) => {
      const loss = judgeNode('n1', node(status, T0 - 7_000), undefined, T0, 20_000);
      expect(loss?.since).toBe(T0 - 7_000);
      expect(loss?.reason).toBe(`node Ready=${status} (NodeStatusUnknown)`);
    },
  );

  it('nothing known (no Node, no Lease, or a Node without conditions) is not lost', () => {
    expect(judgeNode('n1', undefined, undefined, T0, 20_000)).toBeUndefined();
    expect(judgeNode('n1', node(undefined), undefined, T0, 20_000)).toBeUndefined();
  });
});

describe('excludeLostNodes', () => {
  const notIn = { key: 'kubernetes.io/hostname', operator: 'NotIn', values: ['n2', 'n3'] };

  it('leaves the affinity alone when no node is lost', () => {
    const a = { podAffinity: {} };
    expect(excludeLostNodes(a, [])).toBe(a);
    expect(excludeLostNodes(undefined, [])).toBeUndefined();
  });

  it('adds one required term when there is none, keeping the other affinities', () => {
    expect(excludeLostNodes({ podAntiAffinity: {} }, ['n2', 'n3'])).toEqual({
      podAntiAffinity: {},
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [notIn] }],
        },
      },
    });
  });

  it("adds the exclusion to every one of the user's ORed terms, and keeps preferred terms", () => {
    const zone = { key: 'zone', operator: 'In', values: ['a'] };
    const preferred = [{ weight: 1, preference: { matchExpressions: [zone] } }];
    const out = excludeLostNodes(
      {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              { matchExpressions: [zone] },
              { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] },
            ],
          },
          preferredDuringSchedulingIgnoredDuringExecution: preferred,
        },
      },
      ['n2', 'n3'],
    );
    const terms = out?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
    expect(terms).toEqual([
      { matchExpressions: [zone, notIn] },
      { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }], matchExpressions: [notIn] },
    ]);
    expect(out?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution).toBe(preferred);
  });
});

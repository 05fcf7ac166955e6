/**
 * ChildObjects' `createFirst` (operator/src/streamjob/children.ts; the first reconcile of a new
 * job), and ensureDerivedSecret's (derived-secret.ts), against a real API server: the create goes
 * first, and an object that exists after all is read and handled exactly as with a read first —
 * a foreign one is an OwnershipConflict and is left as it was, the job's own one is repaired, a
 * kept token or key is kept.
 */
import {
  CoreV1Api,
  NetworkingV1Api,
  RbacAuthorizationV1Api,
  type V1Role,
  type V1Secret,
  type V1ServiceAccount,
} from '@kubernetes/client-node';
import { ChildObjects } from '../../operator/src/streamjob/children.ts';
import { ensureDerivedSecret } from '../../operator/src/streamjob/derived-secret.ts';
import { ProblemError } from '../../operator/src/streamjob/problem.ts';
import { setupTestEnv, type TestEnv } from '../harness/env.ts';

describe('ChildObjects with createFirst (real API server)', () => {
  let env: TestEnv;
  let children: ChildObjects;
  let rbac: RbacAuthorizationV1Api;
  let core: CoreV1Api;
  const owner = { ref: 'ns/job', uid: '6a0c3a55-2d57-4a8e-9a38-0d5d3c1f0c11' };
  const ownerReferences = [
    { apiVersion: 'sluice.dev/v1alpha1', kind: 'StreamJob', name: 'job', uid: owner.uid, controller: true },
  ];

  const role = (name: string, verbs: string[], own: boolean): V1Role => ({
    metadata: { name, namespace: env.namespace, ...(own ? { ownerReferences } : {}) },
    rules: [{ apiGroups: [''], resources: ['pods'], verbs }],
  });

  beforeAll(async () => {
    env = await setupTestEnv('children-create-first');
    core = env.kubeConfig.makeApiClient(CoreV1Api);
    rbac = env.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
    children = new ChildObjects({
      core,
      rbac,
      networking: env.kubeConfig.makeApiClient(NetworkingV1Api),
    });
  }, 60_000);

  afterAll(async () => {
    await env?.cleanup();
  });

  it('creates an absent object', async () => {
    const sa: V1ServiceAccount = { metadata: { name: 'absent', namespace: env.namespace, ownerReferences } };
    expect(await children.serviceAccount(sa, owner, { createFirst: true })).toBe('created');
    const stored = await core.readNamespacedServiceAccount({ name: 'absent', namespace: env.namespace });
    expect(stored.metadata?.ownerReferences?.[0]?.uid).toBe(owner.uid);
  });

  it("repairs the job's own object that exists with other rules", async () => {
    await rbac.createNamespacedRole({ namespace: env.namespace, body: role('own', ['get'], true) });
    expect(await children.role(role('own', ['get', 'watch'], true), owner, { createFirst: true })).toBe(
      'updated',
    );
    const stored = await rbac.readNamespacedRole({ name: 'own', namespace: env.namespace });
    expect(stored.rules?.[0]?.verbs).toEqual(['get', 'watch']);
    expect(await children.role(role('own', ['get', 'watch'], true), owner, { createFirst: true })).toBe(
      'unchanged',
    );
  });

  it('refuses a foreign object of the same name and leaves it as it was', async () => {
    await rbac.createNamespacedRole({ namespace: env.namespace, body: role('foreign', ['list'], false) });
    const err = await children
      .role(role('foreign', ['get'], true), owner, { createFirst: true })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProblemError);
    expect((err as ProblemError).reason).toBe('OwnershipConflict');
    const stored = await rbac.readNamespacedRole({ name: 'foreign', namespace: env.namespace });
    expect(stored.rules?.[0]?.verbs).toEqual(['list']);
    expect(stored.metadata?.ownerReferences).toBeUndefined();
  });

  describe('ensureDerivedSecret (a value kept from what is stored: shuffle token, snapshot key)', () => {
    /** A Secret keeping the stored `value`, or `fresh` when there is none. */
    const keeping =
      (name: string, fresh: string) =>
      (stored: V1Secret | undefined): V1Secret => ({
        metadata: { name, namespace: env.namespace, ownerReferences },
        data: { value: stored?.data?.value ?? Buffer.from(fresh).toString('base64') },
      });
    const stored = (name: string) => core.readNamespacedSecret({ name, namespace: env.namespace });

    it('creates an absent Secret from nothing stored', async () => {
      const r = await ensureDerivedSecret(
        children,
        env.namespace,
        'derived-absent',
        keeping('derived-absent', 'a'),
        owner,
        {
          createFirst: true,
        },
      );
      expect(r.outcome).toBe('created');
      expect(r.stored).toBeUndefined();
      expect((await stored('derived-absent')).data?.value).toBe(Buffer.from('a').toString('base64'));
    });

    it('keeps the value of one that exists after all, as without createFirst', async () => {
      await core.createNamespacedSecret({
        namespace: env.namespace,
        body: keeping('derived-kept', 'old')(undefined),
      });
      for (const options of [{ createFirst: true }, {}]) {
        const r = await ensureDerivedSecret(
          children,
          env.namespace,
          'derived-kept',
          keeping('derived-kept', 'new'),
          owner,
          options,
        );
        expect(r.outcome).toBe('unchanged');
        expect(r.body.data?.value).toBe(Buffer.from('old').toString('base64'));
      }
      expect((await stored('derived-kept')).data?.value).toBe(Buffer.from('old').toString('base64'));
    });

    it('refuses a foreign Secret of the same name and leaves it as it was', async () => {
      await core.createNamespacedSecret({
        namespace: env.namespace,
        body: { metadata: { name: 'derived-foreign', namespace: env.namespace }, data: { value: 'eA==' } },
      });
      const err = await ensureDerivedSecret(
        children,
        env.namespace,
        'derived-foreign',
        keeping('derived-foreign', 'new'),
        owner,
        { createFirst: true },
      ).catch((e: unknown) => e);
      expect((err as ProblemError).reason).toBe('OwnershipConflict');
      const s = await stored('derived-foreign');
      expect(s.data?.value).toBe('eA==');
      expect(s.metadata?.ownerReferences).toBeUndefined();
    });
  });
});

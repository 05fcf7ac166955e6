import type { StreamJob } from '@sluice/api/streamjob.ts';
import { makeJob, STORAGE, WORKER } from '../../../test/harness/operator-fixtures.ts';
import type { ReconcileContext } from '../kube/controller.ts';
import type { ChildObjects, EnsureOptions } from '../streamjob/children.ts';
import type { EnsuredChildren } from '../streamjob/ensured-children.ts';
import type { JobCredentials } from '../streamjob/job-credentials.ts';
import { ensureChildren, type AttemptChildrenDeps } from './attempt-children.ts';

/** Children whose writes take a few turns of the event loop each, recording when each began and ended. */
function recordingChildren(log: string[]): ChildObjects {
  const write = (kind: string) => async (_body: unknown, _owner: unknown, options?: EnsureOptions) => {
    if (options?.createFirst) log.push(`${kind} createFirst`);
    log.push(`${kind} begin`);
    await new Promise((r) => setTimeout(r, 5));
    log.push(`${kind} end`);
    return 'created' as const;
  };
  return {
    serviceAccount: write('serviceAccount'),
    role: write('role'),
    roleBinding: write('roleBinding'),
    service: write('service'),
    networkPolicy: write('networkPolicy'),
    readSecret: async () => {
      log.push('readSecret');
      return undefined;
    },
    secret: write('secret'),
  } as unknown as ChildObjects;
}

describe('ensureChildren', () => {
  const job: StreamJob = makeJob({}, { attempt: 1 });
  const ctx = { signal: new AbortController().signal } as ReconcileContext;

  function deps(log: string[]): AttemptChildrenDeps {
    return {
      core: {} as AttemptChildrenDeps['core'],
      children: recordingChildren(log),
      worker: WORKER,
      workerNetworkPolicy: true,
      ensured: { fresh: () => false, record: () => undefined } as unknown as EnsuredChildren,
      credentials: {
        forJob: async () => {
          log.push('credentials');
          return { accessKey: 'a', secretKey: 's' };
        },
      } as unknown as JobCredentials,
    };
  }

  it('writes the RoleBinding only once its Role exists (the API server refuses it before, without the bind verb)', async () => {
    const log: string[] = [];
    await ensureChildren(deps(log), job, STORAGE, ['wc-1-0', 'wc-1-1'], ctx);
    expect(log.indexOf('roleBinding begin')).toBeGreaterThan(log.indexOf('role end'));
  });

  it('has the other writes in flight at once', async () => {
    const log: string[] = [];
    await ensureChildren(deps(log), job, STORAGE, ['wc-1-0', 'wc-1-1'], ctx);
    const firstEnd = log.findIndex((l) => l.endsWith(' end'));
    const begunBefore = log.slice(0, firstEnd).filter((l) => l.endsWith(' begin'));
    expect(begunBefore).toEqual(
      expect.arrayContaining(['serviceAccount begin', 'role begin', 'service begin', 'networkPolicy begin']),
    );
    expect(log).toContain('credentials');
  });

  it("creates a new job's objects without reading them first, and only a new job's", async () => {
    const kinds = ['serviceAccount', 'role', 'roleBinding', 'service', 'networkPolicy'];
    const fresh: string[] = [];
    await ensureChildren(deps(fresh), job, STORAGE, ['wc-1-0', 'wc-1-1'], ctx, true);
    expect(fresh.filter((l) => l.endsWith(' createFirst'))).toEqual(
      expect.arrayContaining(kinds.map((k) => `${k} createFirst`)),
    );
    expect(fresh).not.toContain('secret createFirst');
    // The shuffle token and snapshot key Secrets: created from nothing stored, not read.
    expect(fresh.filter((l) => l === 'secret begin')).toHaveLength(2);
    expect(fresh).not.toContain('readSecret');
    const existing: string[] = [];
    await ensureChildren(deps(existing), job, STORAGE, ['wc-1-0', 'wc-1-1'], ctx);
    expect(existing.filter((l) => l.endsWith(' createFirst'))).toEqual([]);
    expect(existing.filter((l) => l === 'readSecret')).toHaveLength(2);
  });
});

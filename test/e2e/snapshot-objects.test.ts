/**
 * StreamJobSnapshot objects on a real cluster (docs/snapshots.md "Snapshot objects"):
 * `kubectl apply` a snapshot object against a running wordcount, `kubectl get sjs` lists it
 * Completed with its path, the savepoint's `_metadata` is in the dev MinIO, and a second job
 * started with `spec.initialSavepointRef` restores it and runs.
 */
import { jest } from '@jest/globals';
import {
  createRestrictedNamespace,
  installChart,
  kubectl,
  kubectlJson,
  kubectlOk,
  requireCluster,
} from './cluster.ts';
import {
  applyManifest,
  corpusWordcount,
  defaultBucket,
  snapshotObjects,
  waitJob,
  waitReady,
} from './streamjob-helpers.ts';
import { uploadCorpus, type Corpus } from './wordcount-corpus.ts';

jest.setTimeout(600_000);

const ns = `sluice-e2e-sjs-${Date.now().toString(36)}`;
let corpus: Corpus;
let bucket: string;

type Snapshot = {
  status?: { phase?: string; path?: string; id?: number; origin?: string; message?: string };
};

beforeAll(async () => {
  await requireCluster();
  await installChart();
  await createRestrictedNamespace(ns);
  bucket = await defaultBucket();
  // 4 × 600 lines at 10 lines/s per worker: about a minute of input.
  corpus = await uploadCorpus(bucket, `inputs/${ns}/src/`, 4, 600, 5);
  await applyManifest(
    ns,
    corpusWordcount('src', corpus, { parallelism: 2, rate: 10, outputPrefix: `outputs/${ns}/src/` }),
  );
});

afterAll(async () => {
  if (process.env.SLUICE_E2E_KEEP_NAMESPACE === '1') return;
  await kubectl(['delete', 'namespace', ns, '--wait=false']);
});

it('takes a savepoint for an applied StreamJobSnapshot and starts a second job from it', async () => {
  await waitReady(ns, 'src', 180_000);
  await applyManifest(ns, {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'StreamJobSnapshot',
    metadata: { name: 'src-snap' },
    spec: { jobName: 'src' },
  });
  const deadline = Date.now() + 120_000;
  let snap: Snapshot = {};
  while (Date.now() < deadline) {
    snap = await kubectlJson<Snapshot>(['-n', ns, 'get', 'streamjobsnapshot', 'src-snap']);
    if (snap.status?.phase === 'Completed' || snap.status?.phase === 'Failed') break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  expect(snap.status).toMatchObject({ phase: 'Completed', origin: 'Requested' });
  const listed = await kubectlOk(['-n', ns, 'get', 'sjs']);
  expect(listed).toMatch(/src-snap\s+src\s+savepoint\s+Completed/);
  const path = snap.status!.path!;
  expect(path.startsWith(`s3://${bucket}/`)).toBe(true);
  const dir = path.slice(`s3://${bucket}/`.length);
  expect(await snapshotObjects(bucket, dir)).toContain('_metadata');

  const second = corpusWordcount('dst', corpus, {
    parallelism: 2,
    rate: 10,
    outputPrefix: `outputs/${ns}/dst/`,
  });
  (second.spec as Record<string, unknown>).initialSavepointRef = { name: 'src-snap' };
  await applyManifest(ns, second);
  const dst = await waitJob(
    ns,
    'dst',
    'Running, restored from the snapshot',
    (j) => j.status?.phase === 'Running',
    180_000,
  );
  expect(dst.status!.restoredFrom).toMatchObject({ kind: 'savepoint', path: dir });
});

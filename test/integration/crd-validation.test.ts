/**
 * The StreamJob CRD as the real API server enforces it: defaults, bounds, enums and CEL rules
 * reject invalid manifests with messages that tell the user what to fix; `kubectl get sj` shows
 * the printer columns. No operator runs here: only the API server is under test.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import type { StreamJob } from '@sluice/api/streamjob.ts';
import { Jobs, apiMessage } from '../harness/operator.ts';
import { setupTestEnv, type TestEnv } from '../harness/env.ts';
import { repoRoot } from '../harness/paths.ts';

// The integration project's testTimeout is not applied per project by jest 30; set it here.
jest.setTimeout(120_000);

type Spec = Record<string, unknown>;

const valid = (): Spec => ({ image: 'sluice-runtime:dev', job: { entry: 'wordcount' } });

function manifest(name: string, spec: Spec, namespace: string) {
  return { apiVersion: 'sluice.dev/v1alpha1', kind: 'StreamJob', metadata: { name, namespace }, spec };
}

describe('StreamJob CRD on the API server', () => {
  let env: TestEnv;
  let jobs: Jobs;

  const rejection = async (name: string, spec: Spec): Promise<string> => {
    try {
      await jobs.create(manifest(name, spec, env.namespace));
    } catch (err) {
      return apiMessage(err);
    }
    throw new Error(`the API server accepted StreamJob ${name}`);
  };

  beforeAll(async () => {
    env = await setupTestEnv('crd-validation');
    jobs = new Jobs(env.kubeConfig, env.namespace);
  });
  afterAll(() => env?.cleanup());

  it('applies defaults, nested ones included', async () => {
    const job = await jobs.create(manifest('defaults', valid(), env.namespace));
    expect(job.spec).toEqual({
      image: 'sluice-runtime:dev',
      imagePullPolicy: 'IfNotPresent',
      job: { entry: 'wordcount' },
      parallelism: 1,
      maxParallelism: 128,
      state: 'running',
      stateBackend: { type: 'heap' },
      upgradeMode: 'savepoint',
      upgradeTimeoutSeconds: 300,
      checkpoint: { intervalSeconds: 60, timeoutSeconds: 600, retained: 3 },
      savepoint: { timeoutSeconds: 600, historyLimit: 10 },
      restartPolicy: {
        maxRestarts: 10,
        backoffSeconds: 5,
        maxBackoffSeconds: 300,
        notReadyTimeoutSeconds: 300,
      },
      allowNonRestoredState: false,
      onDelete: 'keep',
    });
  });

  // [name, spec, expected message] — each a different kind of mistake.
  const invalid: Array<[string, Spec, RegExp]> = [
    [
      'short-upgrade-timeout',
      { ...valid(), upgradeTimeoutSeconds: 2 },
      /^422: .*spec\.upgradeTimeoutSeconds: Invalid value: 2: spec\.upgradeTimeoutSeconds in body should be greater than or equal to 10/,
    ],
    [
      'two-initial-savepoints',
      { ...valid(), initialSavepoint: 's3://sluice/a/sp-1-x', initialSavepointRef: { name: 'snap' } },
      /spec\.initialSavepointRef: Invalid value: "object": set spec\.initialSavepoint or spec\.initialSavepointRef, not both/,
    ],
    [
      'unknown-on-delete',
      { ...valid(), onDelete: 'wipe' },
      /spec\.onDelete: Unsupported value: "wipe": supported values: "keep", "savepoint", "delete"/,
    ],
    [
      'negative-parallelism',
      { ...valid(), parallelism: -2 },
      /^422: .*spec\.parallelism: Invalid value: -2: spec\.parallelism in body should be greater than or equal to 1/,
    ],
    [
      'huge-parallelism',
      { ...valid(), parallelism: 5000, maxParallelism: 8192 },
      /spec\.parallelism: Invalid value: 5000: spec\.parallelism in body should be less than or equal to 1024/,
    ],
    [
      'parallelism-over-max',
      { ...valid(), parallelism: 200, maxParallelism: 128 },
      /spec\.parallelism: Invalid value: "object": spec\.parallelism must not exceed spec\.maxParallelism \(each worker owns at least one key group\)/,
    ],
    [
      'unknown-upgrade-mode',
      { ...valid(), upgradeMode: 'rolling' },
      /spec\.upgradeMode: Unsupported value: "rolling": supported values: "savepoint", "last-state", "stateless"/,
    ],
    [
      'unknown-state',
      { ...valid(), state: 'paused' },
      /spec\.state: Unsupported value: "paused": supported values: "running", "suspended"/,
    ],
    ['missing-image', { job: { entry: 'wordcount' } }, /spec\.image: Required value/],
    ['missing-entry', { image: 'sluice-runtime:dev', job: {} }, /spec\.job\.entry: Required value/],
    [
      'image-with-space',
      { ...valid(), image: 'sluice runtime' },
      /spec\.image: Invalid value: "sluice runtime": spec\.image in body should match '\^\\S\+\$'/,
    ],
    [
      'zero-interval',
      { ...valid(), checkpoint: { intervalSeconds: 0 } },
      /spec\.checkpoint\.intervalSeconds: Invalid value: 0: spec\.checkpoint\.intervalSeconds in body should be greater than or equal to 1/,
    ],
    [
      'day-long-timeout',
      { ...valid(), checkpoint: { timeoutSeconds: 100000 } },
      /spec\.checkpoint\.timeoutSeconds: Invalid value: 100000: spec\.checkpoint\.timeoutSeconds in body should be less than or equal to 86400/,
    ],
    [
      'no-retention',
      { ...valid(), checkpoint: { retained: 0 } },
      /spec\.checkpoint\.retained: Invalid value: 0: spec\.checkpoint\.retained in body should be greater than or equal to 1/,
    ],
    [
      'backoff-over-max',
      { ...valid(), restartPolicy: { backoffSeconds: 600, maxBackoffSeconds: 60 } },
      /spec\.restartPolicy\.backoffSeconds: Invalid value: "object": spec\.restartPolicy\.backoffSeconds must not exceed spec\.restartPolicy\.maxBackoffSeconds/,
    ],
    [
      'progress-window-within-interval',
      { ...valid(), restartPolicy: { checkpointProgressTimeoutSeconds: 60 } },
      /spec\.restartPolicy\.checkpointProgressTimeoutSeconds: Invalid value: "object": spec\.restartPolicy\.checkpointProgressTimeoutSeconds must be greater than spec\.checkpoint\.intervalSeconds/,
    ],
    [
      'progress-window-too-short',
      {
        ...valid(),
        checkpoint: { intervalSeconds: 1 },
        restartPolicy: { checkpointProgressTimeoutSeconds: 5 },
      },
      /spec\.restartPolicy\.checkpointProgressTimeoutSeconds: Invalid value: 5: spec\.restartPolicy\.checkpointProgressTimeoutSeconds in body should be greater than or equal to 10/,
    ],
    [
      'rate-limit-without-window',
      { ...valid(), restartPolicy: { restartRateLimit: { maxRestarts: 3 } } },
      /spec\.restartPolicy\.restartRateLimit\.windowSeconds: Required value/,
    ],
    [
      'rate-limit-zero-restarts',
      { ...valid(), restartPolicy: { restartRateLimit: { maxRestarts: 0, windowSeconds: 60 } } },
      /spec\.restartPolicy\.restartRateLimit\.maxRestarts: Invalid value: 0: spec\.restartPolicy\.restartRateLimit\.maxRestarts in body should be greater than or equal to 1/,
    ],
    [
      'empty-savepoint-retention',
      { ...valid(), savepoint: { retention: {} } },
      /spec\.savepoint\.retention: Invalid value: "object": spec\.savepoint\.retention needs maxAge, maxCount or both/,
    ],
    [
      'savepoint-retention-bad-age',
      { ...valid(), savepoint: { retention: { maxAge: '1w' } } },
      /spec\.savepoint\.retention\.maxAge: Invalid value: "1w": spec\.savepoint\.retention\.maxAge in body should match/,
    ],
    [
      'incremental-heap',
      { ...valid(), stateBackend: { incremental: true } },
      /spec\.stateBackend\.incremental: Invalid value: "object": spec\.stateBackend\.incremental needs type rocksdb/,
    ],
    [
      'local-storage-heap',
      { ...valid(), stateBackend: { type: 'heap', localStorage: { size: '1Gi' } } },
      /spec\.stateBackend\.localStorage: Invalid value: "object": spec\.stateBackend\.localStorage needs type rocksdb/,
    ],
    [
      'unknown-state-backend',
      { ...valid(), stateBackend: { type: 'lmdb' } },
      /spec\.stateBackend\.type: Unsupported value: "lmdb": supported values: "heap", "rocksdb"/,
    ],
    [
      'local-storage-bad-size',
      { ...valid(), stateBackend: { type: 'rocksdb', localStorage: { size: 'lots' } } },
      /spec\.stateBackend\.localStorage\.size: Invalid value: "lots": spec\.stateBackend\.localStorage\.size in body should match/,
    ],
    [
      'periodic-savepoint-too-often',
      { ...valid(), savepoint: { periodicSeconds: 5 } },
      /spec\.savepoint\.periodicSeconds: Invalid value: 5: spec\.savepoint\.periodicSeconds in body should be greater than or equal to 10/,
    ],
    [
      'endpoint-without-credentials',
      { ...valid(), storage: { endpoint: 'https://s3.example.com' } },
      /spec\.storage\.credentialsSecret: Invalid value: "object": spec\.storage\.credentialsSecret is required when spec\.storage\.endpoint is set/,
    ],
    [
      'endpoint-with-path',
      { ...valid(), storage: { endpoint: 'http://minio:9000/bucket', credentialsSecret: { name: 's3' } } },
      /spec\.storage\.endpoint: Invalid value: "http:\/\/minio:9000\/bucket": spec\.storage\.endpoint in body should match/,
    ],
    [
      'initial-savepoint-not-s3',
      { ...valid(), initialSavepoint: 'file:///tmp/sp-1' },
      /spec\.initialSavepoint: Invalid value: "file:\/\/\/tmp\/sp-1": spec\.initialSavepoint in body should match/,
    ],
    [
      'reserved-label',
      { ...valid(), podTemplate: { metadata: { labels: { 'sluice.dev/job': 'other' } } } },
      /spec\.podTemplate\.metadata\.labels: Invalid value: "object": podTemplate\.metadata\.labels must not use the sluice\.dev\/ prefix; the operator owns those labels/,
    ],
    [
      'reserved-env',
      { ...valid(), podTemplate: { env: [{ name: 'SLUICE_PARALLELISM', value: '9' }] } },
      /spec\.podTemplate\.env: Invalid value: "array": podTemplate\.env must not set SLUICE_\* variables; the operator sets them/,
    ],
    [
      'duplicate-env',
      {
        ...valid(),
        podTemplate: {
          env: [
            { name: 'A', value: '1' },
            { name: 'A', value: '2' },
          ],
        },
      },
      /spec\.podTemplate\.env\[1\]: Duplicate value: \{"name":"A"\}/,
    ],
    [
      'bad-quantity',
      { ...valid(), podTemplate: { resources: { limits: { memory: 'lots' } } } },
      /spec\.podTemplate\.resources\.limits\.memory: Invalid value: "lots": spec\.podTemplate\.resources\.limits\.memory in body should match/,
    ],
    [
      'name.with.dots',
      valid(),
      /metadata\.name must be a lowercase DNS label of at most 45 characters that starts with a letter/,
    ],
    [
      'a-job-name-that-is-far-too-long-for-worker-pod-names',
      valid(),
      /metadata\.name must be a lowercase DNS label of at most 45 characters/,
    ],
  ];

  it.each(invalid)('rejects %s with a message naming the field and the rule', async (name, spec, message) => {
    await expect(rejection(name, spec)).resolves.toMatch(message);
  });

  it('allows changing maxParallelism before the job has state, and forbids it afterwards', async () => {
    await jobs.create(manifest('keyed', { ...valid(), maxParallelism: 64 }, env.namespace));
    await jobs.jsonPatch('keyed', [{ op: 'replace', path: '/spec/maxParallelism', value: 256 }]);
    expect((await jobs.get('keyed')).spec.maxParallelism).toBe(256);

    // The coordinator records a completed checkpoint: from now on the key groups are fixed.
    await jobs.jsonPatchStatus('keyed', [
      {
        op: 'add',
        path: '/status',
        value: { checkpoints: { lastCompleted: { id: 3, path: 'ns/keyed/uid/checkpoints/chk-3' } } },
      },
    ]);
    const message = await jobs
      .jsonPatch('keyed', [{ op: 'replace', path: '/spec/maxParallelism', value: 512 }])
      .then(() => 'accepted')
      .catch(apiMessage);
    expect(message).toMatch(
      /^422: .*spec\.maxParallelism: Forbidden: spec\.maxParallelism cannot change once the job has state \(a completed checkpoint or savepoint, or a restore\): it is the number of key groups the state is partitioned into\. Take a savepoint and start a new StreamJob from it to change it\./,
    );
    // Other spec changes are still fine.
    await jobs.jsonPatch('keyed', [{ op: 'replace', path: '/spec/parallelism', value: 4 }]);
    expect((await jobs.get('keyed')).spec).toMatchObject({ parallelism: 4, maxParallelism: 256 });
  });

  it('defaults the state backend to heap, and changes the backend type only outside last-state upgrades', async () => {
    await jobs.create(manifest('backend', valid(), env.namespace));
    expect((await jobs.get('backend')).spec.stateBackend).toEqual({ type: 'heap' });
    // savepoint mode (the default): the switch goes through a savepoint both backends restore.
    await jobs.jsonPatch('backend', [
      { op: 'replace', path: '/spec/stateBackend', value: { type: 'rocksdb' } },
    ]);
    expect((await jobs.get('backend')).spec.stateBackend).toEqual({ type: 'rocksdb' });
    await jobs.jsonPatch('backend', [{ op: 'replace', path: '/spec/upgradeMode', value: 'last-state' }]);
    const message = await jobs
      .jsonPatch('backend', [{ op: 'replace', path: '/spec/stateBackend/type', value: 'heap' }])
      .then(() => 'accepted')
      .catch(apiMessage);
    expect(message).toMatch(
      /^422: .*spec\.stateBackend\.type: Invalid value: "object": spec\.stateBackend\.type can change only with upgradeMode savepoint or stateless/,
    );
    // Other changes of a rocksdb job in last-state mode are fine.
    await jobs.jsonPatch('backend', [{ op: 'add', path: '/spec/stateBackend/incremental', value: false }]);
    expect((await jobs.get('backend')).spec.stateBackend).toEqual({ type: 'rocksdb', incremental: false });
  });

  it('shows phase, parallelism, ready workers, attempt and last checkpoint in `kubectl get sj`', async () => {
    await jobs.create(
      manifest('columns', { ...valid(), parallelism: 3, image: 'sluice-runtime:1.2' }, env.namespace),
    );
    const status: StreamJob['status'] = {
      phase: 'Running',
      attempt: 2,
      workers: { ready: 3, total: 3 },
      checkpoints: { lastCompleted: { id: 17, path: 'p/chk-17' } },
    };
    await jobs.jsonPatchStatus('columns', [{ op: 'add', path: '/status', value: status }]);
    const kubectl = (...args: string[]) =>
      execFileSync(
        join(repoRoot, 'bin', 'kubectl'),
        ['--kubeconfig', env.kubeconfigPath, '-n', env.namespace, ...args],
        {
          encoding: 'utf8',
        },
      );
    const rows = (text: string) =>
      text
        .trim()
        .split('\n')
        .map((l) => l.trim().split(/\s{2,}/));

    const table = rows(kubectl('get', 'sj', 'columns'));
    expect(table[0]).toEqual(['NAME', 'PHASE', 'PARALLELISM', 'READY', 'ATTEMPT', 'LAST-CHECKPOINT', 'AGE']);
    expect(table[1]!.slice(0, 6)).toEqual(['columns', 'Running', '3', '3', '2', '17']);
    expect(table[1]![6]).toMatch(/^\d+s$/);

    const wide = rows(kubectl('get', 'streamjobs.sluice.dev', 'columns', '-o', 'wide'));
    expect(wide[0]).toEqual([
      'NAME',
      'PHASE',
      'PARALLELISM',
      'READY',
      'ATTEMPT',
      'LAST-CHECKPOINT',
      'STATE',
      'IMAGE',
      'AGE',
    ]);
    expect(wide[1]!.slice(0, 8)).toEqual([
      'columns',
      'Running',
      '3',
      '3',
      '2',
      '17',
      'running',
      'sluice-runtime:1.2',
    ]);

    // The `sluice` category lists StreamJobs too (two kinds in it: names carry their type).
    const byCategory = rows(kubectl('get', 'sluice'));
    expect(byCategory[0]![0]).toBe('NAME');
    expect(byCategory.map((r) => r[0])).toEqual(
      expect.arrayContaining(['streamjob.sluice.dev/columns', 'streamjob.sluice.dev/defaults']),
    );
    const explain = kubectl('explain', 'sj.spec.maxParallelism');
    expect(explain).toMatch(/Number of key groups the keyed state is partitioned into/);
  });

  it('keeps a valid status through the status subresource and rejects a malformed condition', async () => {
    await jobs.create(manifest('status-shape', valid(), env.namespace));
    const bad = await jobs
      .jsonPatchStatus('status-shape', [
        {
          op: 'add',
          path: '/status',
          value: {
            conditions: [
              {
                type: 'Ready',
                status: 'Maybe',
                reason: 'x',
                message: '',
                lastTransitionTime: '2026-01-01T00:00:00Z',
              },
            ],
          },
        },
      ])
      .then(() => 'accepted')
      .catch(apiMessage);
    expect(bad).toMatch(
      /status\.conditions\[0\]\.status: Unsupported value: "Maybe": supported values: "True", "False", "Unknown"/,
    );
  });
});

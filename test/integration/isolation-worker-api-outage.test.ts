/**
 * Running workers across an API server outage (docs/runtime.md "Control modes"): real worker
 * processes (process kubelet) reach the API server through a loopback proxy that refuses every
 * new connection for 60 s while the connections already open stay up — so the workers' pod
 * watches keep delivering the operator's checkpoint requests, and every ack (a new request) is
 * refused. No worker may fail: the attempt and its pods stay, and checkpoints complete again
 * once the API server takes connections again. (Only the workers lose the API server here; the
 * operator keeps its own connection.)
 */
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { CoreV1Api } from '@kubernetes/client-node';
import { startInProcessOperator, waitFor, type InProcessOperator } from '../harness/operator.ts';
import {
  STORAGE_SECRET,
  corpusWordcountJob,
  startWordcountFixture,
  stopWordcountFixture,
  type WordcountFixture,
} from '../harness/coordination-fixture.ts';
import { OutageProxy } from '../harness/outage-proxy.ts';
import { ProcessKubelet } from '../harness/process-kubelet.ts';

const OUTAGE_MS = 60_000;
jest.setTimeout(OUTAGE_MS + 180_000);

describe('workers across a 60 s API server outage (process kubelet, in-process operator)', () => {
  let f: WordcountFixture;
  let operator: InProcessOperator;
  let proxy: OutageProxy;
  let kubelet: ProcessKubelet;

  beforeAll(async () => {
    f = await startWordcountFixture('isolation-worker-outage', 41);
    // The fixture's kubelet would give workers the API server directly: replace it.
    await f.kubelet.stop();
    proxy = await OutageProxy.start(f.env.state.controlPlane.server);
    kubelet = new ProcessKubelet({
      kubeConfig: f.env.kubeConfig,
      state: f.env.state,
      namespace: f.env.namespace,
      logDir: join(f.env.state.workDir, `workers-${f.env.namespace}`),
      apiServer: proxy.url(f.env.state.controlPlane.server),
    });
    kubelet.start();
    operator = await startInProcessOperator({
      kubeConfig: f.env.kubeConfig,
      namespace: f.env.namespace,
      bucket: f.env.bucket,
      state: f.env.state,
      secret: STORAGE_SECRET,
      logFile: join(f.env.state.workDir, `operator-${f.env.namespace}.log`),
    });
  });

  afterAll(async () => {
    await proxy?.restore();
    await kubelet?.stop();
    await stopWordcountFixture(f, operator);
    await proxy?.stop();
  });

  it('keeps every worker running; checkpoints resume after the outage', async () => {
    await f.jobs.create(
      corpusWordcountJob('outage', {
        output: 'outage-out/',
        rate: 5,
        spec: { checkpoint: { intervalSeconds: 1, timeoutSeconds: 120, retained: 2 } },
      }),
    );
    const job = () => f.jobs.get('outage');
    const phases = async () =>
      (
        await f.env.kubeConfig
          .makeApiClient(CoreV1Api)
          .listNamespacedPod({ namespace: f.env.namespace, labelSelector: 'sluice.dev/job=outage' })
      ).items.map((p) => p.status?.phase);
    await waitFor(
      'a completed checkpoint',
      async () => ((await job()).status?.checkpoints?.lastCompleted?.id ?? 0) >= 1,
      90_000,
      250,
    );
    // From now on the workers' acks are refused; their watches still bring new requests.
    await proxy.outage({ keepOpen: true });
    const during = (await job()).status!;
    const failedBefore = during.checkpoints?.failed ?? 0;
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    // No worker failed: same attempt, no restart, both pods running.
    const end = (await job()).status!;
    expect({ attempt: end.attempt, restarts: end.restarts ?? 0 }).toEqual({
      attempt: during.attempt,
      restarts: 0,
    });
    expect(await phases()).toEqual(['Running', 'Running']);
    // Requests reached the workers meanwhile (a checkpoint is waiting for their acks).
    expect((await job()).status?.checkpoints?.inProgress?.id ?? 0).toBeGreaterThan(
      during.checkpoints?.lastCompleted?.id ?? 0,
    );
    await proxy.restore();

    const before = during.checkpoints?.lastCompleted?.id ?? 0;
    await waitFor(
      'checkpoints completing again',
      async () => ((await job()).status?.checkpoints?.lastCompleted?.id ?? 0) >= before + 2,
      60_000,
      250,
    );
    const after = (await job()).status!;
    expect(after.attempt).toBe(during.attempt);
    // The checkpoint in progress during the outage completed late rather than failing.
    expect(after.checkpoints?.failed ?? 0).toBe(failedBefore);
    expect(after.restarts ?? 0).toBe(0);
    expect(await phases()).toEqual(['Running', 'Running']);
  });
});

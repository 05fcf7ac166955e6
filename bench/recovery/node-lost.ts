/**
 * Recovery from a lost node, on a kind cluster with two worker nodes (`make bench-node-lost`:
 * the cluster of `make e2e-nodes`). docs/checkpointing.md "Lost nodes and fencing"; the pod and
 * container cases are bench/recovery/run.ts.
 *
 *   node bench/recovery/node-lost.ts [--runs 3] [--parallelism 4] [--rate 1000]
 *                                    [--checkpoint-interval 5] [--settle 5]
 *                                    [--out bench/results/recovery-node-lost.json] [--keep]
 *
 * The chart is installed with the operator and the dev MinIO pinned to the control plane. One
 * unbounded wordcount (generator input at `--rate` lines/s for the whole job, exactly-once S3
 * sink) runs at `--parallelism`, spread over the two worker nodes, with the **default restart
 * policy** (backoff 5 s) and the operator's default lease grace (20 s). Each run: the job is
 * Ready with a checkpoint of its current attempt, `--settle` s pass, then the worker node that
 * runs subtask 0 is paused (`docker pause`: its kubelet and workers freeze, as in a partition).
 * Then the node is unpaused, and a `sluice.dev/restart` spreads the workers over both nodes
 * again before the next run.
 *
 * Definitions (one host clock: the kind nodes share the kernel):
 *  - resumed: the latest `worker running` log time of the new attempt's workers (state restored,
 *    sink recovered, reading input);
 *  - connected: the StreamJob Ready=True and every pod of the new attempt Ready (readiness is
 *    the runtime's /readyz: running and connected to every peer), polled every 250 ms;
 *  - both are measured from the moment just before `docker pause`.
 * Target (printed on the median, never asserted): connected < 60 s. Results: the JSON file.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { format, resolveConfig } from 'prettier';
import {
  createRestrictedNamespace,
  installChart,
  kubectl,
  kubectlOk,
  must,
  pinToControlPlane,
  requireCluster,
  waitFor,
  waitNodeReady,
  workerNodes,
} from '../../test/e2e/cluster.ts';
import {
  applyManifest,
  condition,
  getJob,
  isPodReady,
  jobPods,
  summary,
  waitCheckpoint,
  waitReady,
  workerLog,
  type Pod,
} from '../../test/e2e/streamjob-helpers.ts';
import type { RestoredFrom } from '@sluice/api/streamjob.ts';
import { collectProvenance, loadAverage } from '../collect-provenance.ts';
import { generatorWordcount } from './generator-job.ts';
import { median } from '../runtime/stats.ts';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    parallelism: { type: 'string', default: '4' },
    rate: { type: 'string', default: '1000' },
    'checkpoint-interval': { type: 'string', default: '5' },
    settle: { type: 'string', default: '5' },
    out: {
      type: 'string',
      default: resolve(import.meta.dirname, '..', 'results', 'recovery-node-lost.json'),
    },
    keep: { type: 'boolean', default: false },
  },
});
const RUNS = Number(args.runs);
const P = Number(args.parallelism);
const RATE = Number(args.rate);
const INTERVAL = Number(args['checkpoint-interval']);
const SETTLE_MS = Number(args.settle) * 1000;
if (!(RUNS >= 1 && P >= 2 && RATE > 0 && INTERVAL >= 1)) {
  console.error('need --runs ≥ 1, --parallelism ≥ 2, --rate > 0, --checkpoint-interval ≥ 1');
  process.exit(2);
}
const TARGET_MS = 60_000;
const t0 = Date.now();
const progress = (msg: string) =>
  console.log(`[node-lost +${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const ns = `sluice-bench-node-${Date.now().toString(36)}`;
const name = 'node-lost';

/** One run's figures, ms since the pause. */
interface Run {
  run: number;
  node: string;
  attempt: number;
  restoredFrom?: string;
  resumedMs: number;
  connectedMs: number;
  problem?: string;
}

const manifest = () => generatorWordcount({ ns, name, rate: RATE, parallelism: P, intervalS: INTERVAL });

/** The latest `worker running` log time of `pods` (every worker restored and reading). */
async function resumedAt(pods: Pod[]): Promise<number> {
  const times = await waitFor(
    'every new worker to log "worker running"',
    async () => {
      const t = await Promise.all(
        pods.map(
          async (p) => (await workerLog(ns, p.metadata.name)).find((l) => l.msg === 'worker running')?.time,
        ),
      );
      return t.every((x) => x !== undefined)
        ? { done: true, value: t as number[] }
        : { done: false, observed: `${t.filter((x) => x !== undefined).length}/${pods.length} running` };
    },
    120_000,
    1000,
  );
  return Math.max(...times);
}

async function oneRun(run: number): Promise<Run> {
  const { job, pods } = await waitReady(ns, name, 300_000);
  const attempt = job.status?.attempt ?? 0;
  const after = Math.max(job.status?.checkpoints?.lastCompleted?.id ?? 0, job.status?.restoredFrom?.id ?? 0);
  await waitCheckpoint(ns, name, after, (2 * INTERVAL + 60) * 1000);
  await sleep(SETTLE_MS);
  const node = pods.find((p) => p.metadata.name.endsWith('-0'))!.spec.nodeName!;
  const last = (await getJob(ns, name)).status?.checkpoints?.lastCompleted?.id ?? 0;
  const pausedAt = Date.now();
  await must('docker', ['pause', node]);
  let connected: { at: number; attempt: number; restored?: RestoredFrom };
  try {
    connected = await waitFor(
      `${name} Ready in an attempt after ${attempt}, every new worker Ready`,
      async () => {
        const j = await getJob(ns, name);
        const a = j.status?.attempt ?? 0;
        // The job's status names the new attempt before its pods exist: judge the pods too.
        const current =
          a > attempt
            ? (await jobPods(ns, name)).filter((p) => p.metadata.name.startsWith(`${name}-${a}-`))
            : [];
        const ok =
          condition(j, 'Ready')?.status === 'True' && current.length === P && current.every(isPodReady);
        return ok
          ? {
              done: true,
              value: {
                at: Date.now(),
                attempt: a,
                ...(j.status?.restoredFrom ? { restored: j.status.restoredFrom } : {}),
              },
            }
          : { done: false, observed: summary(j) };
      },
      300_000,
      250,
    );
  } finally {
    await must('docker', ['unpause', node]);
  }
  const newPods = (await jobPods(ns, name)).filter((p) =>
    p.metadata.name.startsWith(`${name}-${connected.attempt}-`),
  );
  const resumed = await resumedAt(newPods);
  const problems: string[] = [];
  if (newPods.some((p) => p.spec.nodeName === node))
    problems.push(`a new worker runs on the lost node ${node}`);
  if ((connected.restored?.id ?? 0) < last)
    problems.push(
      `restored ${JSON.stringify(connected.restored)}, the last checkpoint before the loss was ${last}`,
    );
  progress(
    `run ${run}: node ${node} paused; resumed ${secs(resumed - pausedAt)}, connected ${secs(connected.at - pausedAt)}`,
  );

  // Back to two nodes: the node returns, then a restart spreads the workers again.
  await waitNodeReady(node, 180_000);
  await kubectlOk([
    '-n',
    ns,
    'annotate',
    'streamjob',
    name,
    '--overwrite',
    `sluice.dev/restart=spread-${run}`,
  ]);
  await waitReady(ns, name, 300_000, (j) => (j.status?.attempt ?? 0) > connected.attempt);
  return {
    run,
    node,
    attempt: connected.attempt,
    ...(connected.restored ? { restoredFrom: `${connected.restored.kind} ${connected.restored.id}` } : {}),
    resumedMs: resumed - pausedAt,
    connectedMs: connected.at - pausedAt,
    ...(problems.length ? { problem: problems.join('; ') } : {}),
  };
}

async function main(): Promise<void> {
  const provenance = collectProvenance(args, {
    generator: { rate: RATE, partitions: 4, vocabulary: 1000, wordsPerLine: 8, seed: 1 },
  });
  await requireCluster();
  const workers = await workerNodes();
  if (workers.length < 2)
    throw new Error(`needs two worker nodes, found ${workers.length}: run 'make e2e-nodes' first`);
  progress(
    `${RUNS} run(s): wordcount p=${P}, ${RATE} lines/s, checkpoints every ${INTERVAL} s, default restart policy`,
  );
  await installChart([...pinToControlPlane('operator'), ...pinToControlPlane('minio')]);
  await createRestrictedNamespace(ns);
  await applyManifest(ns, manifest());
  const runs: Run[] = [];
  try {
    for (let run = 1; run <= RUNS; run++) runs.push(await oneRun(run));
  } finally {
    if (!args.keep) await kubectl(['delete', 'namespace', ns, '--wait=false']);
  }
  const valid = runs.filter((r) => !r.problem);
  const med = (f: (r: Run) => number) => (valid.length ? Math.round(median(valid.map(f))) : undefined);
  const summaryMs = { resumed: med((r) => r.resumedMs), connected: med((r) => r.connectedMs) };
  const pass = summaryMs.connected === undefined ? undefined : summaryMs.connected < TARGET_MS;
  console.log('\n== node lost → running again (medians of valid runs)');
  console.log(`resumed    ${summaryMs.resumed === undefined ? '–' : secs(summaryMs.resumed)}`);
  console.log(`connected  ${summaryMs.connected === undefined ? '–' : secs(summaryMs.connected)}`);
  console.log(`${pass === undefined ? 'NO DATA' : pass ? 'PASS' : 'MISS'}  node lost → connected < 60 s`);
  const result = {
    benchmark: 'recovery-node-lost',
    date: new Date().toISOString(),
    config: {
      runs: RUNS,
      parallelism: P,
      generatorLinesPerSecond: RATE,
      checkpointIntervalS: INTERVAL,
      settleS: SETTLE_MS / 1000,
      restartPolicy: 'CRD defaults (backoff 5 s)',
      operator: 'chart defaults (--node-loss=force-delete, --node-lease-grace=20s)',
      cluster: `kind, control plane + ${workers.length} workers (make e2e-nodes); operator and MinIO on the control plane`,
      definitions: {
        resumed: 'latest `worker running` log time of the new attempt’s workers − just before docker pause',
        connected:
          'StreamJob Ready=True with every worker Ready in the new attempt − just before docker pause',
      },
    },
    summaryMs,
    target: { what: 'node lost → connected', targetMs: TARGET_MS, pass },
    runs,
    totalSeconds: Math.round((Date.now() - t0) / 1000),
  };
  provenance.loadAverage.end = loadAverage();
  mkdirSync(dirname(args.out), { recursive: true });
  const style = (await resolveConfig(args.out)) ?? {};
  writeFileSync(
    args.out,
    await format(JSON.stringify({ ...result, provenance }), { ...style, parser: 'json' }),
  );
  progress(`results written to ${args.out}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});

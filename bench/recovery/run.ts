/**
 * Recovery benchmark on the kind cluster (issue 7): how long a StreamJob stops processing when a
 * worker dies, and when it is upgraded through a savepoint.
 *
 *   node bench/recovery/run.ts [--runs 5] [--parallelism 2] [--rate 1000] [--checkpoint-interval 5]
 *                              [--backoff-seconds N] [--settle 5] [--scenarios pod-delete,container-kill,savepoint-upgrade]
 *                              [--out bench/results/recovery.json] [--keep]
 *
 * Needs the cluster and images of `make kind-up images` (like `make e2e`); installs the chart
 * the way the e2e tests do (test/e2e/cluster.ts) and runs a wordcount job with a generator
 * input at a fixed rate (`--rate` lines/s for the whole job, 8 words a line) into the exactly-once
 * S3 sink, `upgradeMode: savepoint`, checkpoints every `--checkpoint-interval` s, and the **default
 * restart policy** of the CRD (backoff 5 s before the first restart; docs/checkpointing.md). The
 * backoff doubles with every failure restart of a job's life (`status.restarts`), so every run
 * gets a StreamJob of its own (`<scenario>-<run>`, the previous one deleted first) and each kill is
 * its job's first restart. `--backoff-seconds N` sets spec.restartPolicy (backoff N s, max
 * max(1, N) s) instead. Before every run the job is Ready and has completed a checkpoint in its
 * current attempt, then `--settle` seconds pass.
 *
 * Scenarios, `--runs` times each:
 *  - pod-delete: a worker pod force-deleted (`--grace-period=0 --force`);
 *  - container-kill: a worker container SIGKILLed through the node's containerd (the pod stays;
 *    restartPolicy Never makes it fail with 137);
 *  - savepoint-upgrade: a worker-shaping spec change (an annotation of spec.podTemplate), so the
 *    operator takes a stop-with-savepoint and starts the next attempt from it.
 *
 * Definitions (all clocks are the one host clock: kind's node and its pods share the kernel):
 *  - resumed: the latest `worker running` log time of the new attempt's workers. A worker logs it
 *    once its state is restored, its sink recovered and its shuffle listens; its source starts
 *    reading input right after. Records for a peer it has not connected to yet wait in the
 *    shuffle's bounded queues; the dial is retried every 200 ms;
 *  - first record: the earliest `worker running` of the new attempt;
 *  - connected: every worker of the new attempt answered `/readyz` 200 (running and connected to
 *    every peer) and each of its tasks had taken records since it started — processing past its
 *    restored position (worker-probe.ts; polled every 200 ms through `kubectl proxy`);
 *  - pods Ready: when a pod watch (started before the kill) showed every pod of the new attempt
 *    Ready — the kubelet's readinessProbe on the runtime's /readyz (every 1 s): running and
 *    connected to every peer. An upper bound, at most about a probe period late, for the moment
 *    every channel of the dataflow carries records;
 *  - job Ready: the StreamJob Ready=True in the new attempt (the operator's view, polled every
 *    250 ms);
 *  - recovery = resumed − the kill (taken just before the kill command is issued);
 *  - upgrade downtime = resumed − the old attempt's last record, which is the latest `source
 *    suspended by stop-with-savepoint` of its workers (each stops reading input there; what it
 *    read before drains into the savepoint). The connected, first-record and pods-Ready variants
 *    are reported too.
 * Targets (printed as pass/miss on the medians, never asserted), each for both definitions,
 * resumed and connected: recovery < 10 s, savepoint upgrade downtime < 15 s. Results:
 * bench/results/recovery.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release as kernelRelease } from 'node:os';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { format, resolveConfig } from 'prettier';
import { collectProvenance, loadAverage } from '../collect-provenance.ts';
import {
  containerIdOf,
  createRestrictedNamespace,
  installChart,
  killContainer,
  kubectl,
  kubectlLines,
  kubectlOk,
  requireCluster,
  waitFor,
} from '../../test/e2e/cluster.ts';
import {
  applyManifest,
  condition,
  getJob,
  jobPods,
  parseLogLines,
  patchJob,
  summary,
  waitCheckpoint,
  waitReady,
  workerLog,
  type Job,
  type Pod,
} from '../../test/e2e/streamjob-helpers.ts';
import { generatorWordcount } from './generator-job.ts';
import { startKubeProxy, watchNextAttempt, type KubeProxy } from './worker-probe.ts';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    parallelism: { type: 'string', default: '2' },
    rate: { type: 'string', default: '1000' },
    'checkpoint-interval': { type: 'string', default: '5' },
    'backoff-seconds': { type: 'string' },
    settle: { type: 'string', default: '5' },
    scenarios: { type: 'string', default: 'pod-delete,container-kill,savepoint-upgrade' },
    out: { type: 'string', default: resolve(import.meta.dirname, '..', 'results', 'recovery.json') },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(
    'node bench/recovery/run.ts [--runs 5] [--parallelism 2] [--rate 1000] [--checkpoint-interval 5]\n' +
      '  [--backoff-seconds N (default: the CRD default, 5)] [--settle 5] [--scenarios pod-delete,container-kill,savepoint-upgrade]\n' +
      '  [--out bench/results/recovery.json] [--keep]',
  );
  process.exit(0);
}
const RUNS = Number(args.runs);
const P = Number(args.parallelism);
const RATE = Number(args.rate);
const INTERVAL = Number(args['checkpoint-interval']);
/** spec.restartPolicy.backoffSeconds, s; undefined: the CRD default. */
const BACKOFF = args['backoff-seconds'] === undefined ? undefined : Number(args['backoff-seconds']);
const SETTLE_MS = Number(args.settle) * 1000;
type Scenario = 'pod-delete' | 'container-kill' | 'savepoint-upgrade';
const SCENARIOS = args.scenarios.split(',').map((s) => s.trim()) as Scenario[];
for (const s of SCENARIOS) {
  if (!['pod-delete', 'container-kill', 'savepoint-upgrade'].includes(s)) {
    console.error(`unknown scenario '${s}'`);
    process.exit(2);
  }
}
if (!(RUNS >= 1 && P >= 2 && RATE > 0 && INTERVAL >= 1 && (BACKOFF === undefined || BACKOFF >= 0))) {
  console.error(
    'need --runs ≥ 1, --parallelism ≥ 2, --rate > 0, --checkpoint-interval ≥ 1, --backoff-seconds ≥ 0',
  );
  process.exit(2);
}
const TARGETS = { recoveryMs: 10_000, upgradeDowntimeMs: 15_000 };

const t0 = Date.now();
const provenance = collectProvenance(args, {
  generator: { rate: Number(args.rate), partitions: 4, vocabulary: 1000, wordsPerLine: 8, seed: 1 },
});
const progress = (msg: string) => console.log(`[recovery +${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const secs = (ms: number | undefined) => (ms === undefined ? '–' : `${(ms / 1000).toFixed(2)} s`);

const ns = `sluice-bench-recovery-${Date.now().toString(36)}`;
/** Tasks per wordcount worker: the source task and the keyed count after the keyBy. */
const STAGES = 2;
const SHORT: Record<Scenario, string> = {
  'pod-delete': 'pd',
  'container-kill': 'ck',
  'savepoint-upgrade': 'up',
};

const manifest = (name: string) =>
  generatorWordcount({
    ns,
    name,
    rate: RATE,
    parallelism: P,
    intervalS: INTERVAL,
    spec: {
      upgradeMode: 'savepoint',
      ...(BACKOFF === undefined
        ? {}
        : { restartPolicy: { backoffSeconds: BACKOFF, maxBackoffSeconds: Math.max(1, BACKOFF) } }),
    },
  });

/** Deletes the job of the previous run and waits until its pods are gone. */
async function deleteJob(name: string): Promise<void> {
  await kubectlOk(['-n', ns, 'delete', 'streamjob', name, '--wait=true', '--timeout=120s']);
  await waitFor(
    `the pods of ${name} to be gone`,
    async () => {
      const left = (await jobPods(ns, name)).length;
      return left === 0 ? { done: true, value: true } : { done: false, observed: `${left} pod(s)` };
    },
    120_000,
    1000,
  );
}

/** When the workers of `pods` started running (state restored, source reading). */
interface Flow {
  firstRunningAt: number;
  lastRunningAt: number;
  perWorker: Array<{ pod: string; runningAt: number; restoredCheckpoint?: number }>;
}

/** Waits until every pod logged `worker running`. */
async function waitFlow(pods: Pod[]): Promise<Flow> {
  const perWorker = await waitFor(
    `the workers ${pods.map((p) => p.metadata.name).join(', ')} to log "worker running"`,
    async () => {
      const flows = await Promise.all(
        pods.map(async (p) => {
          const lines = await workerLog(ns, p.metadata.name);
          const running = lines.find((l) => l.msg === 'worker running');
          const restored = lines.find((l) => l.msg === 'restored state');
          return running
            ? {
                pod: p.metadata.name,
                runningAt: running.time,
                ...(restored ? { restoredCheckpoint: Number(restored.checkpointId) } : {}),
              }
            : undefined;
        }),
      );
      const done = flows.filter((f) => f !== undefined);
      return done.length === pods.length
        ? { done: true, value: done }
        : { done: false, observed: `${done.length}/${pods.length} running` };
    },
    120_000,
    1000,
  );
  return {
    firstRunningAt: Math.min(...perWorker.map((w) => w.runningAt)),
    lastRunningAt: Math.max(...perWorker.map((w) => w.runningAt)),
    perWorker,
  };
}

type PodState = { phase: string; ready: boolean };

/**
 * A watch of the job's pods (phase, Ready condition), with the bench's clock at each update;
 * `firstAll(names, test)`: when `test` first held for all of `names` at once.
 */
function watchPods(name: string) {
  const w = kubectlLines([
    '-n',
    ns,
    'get',
    'pods',
    '-l',
    `sluice.dev/job=${name}`,
    '--watch',
    '-o',
    'jsonpath={.metadata.name} {.status.phase} {.status.conditions[?(@.type=="Ready")].status}{"\\n"}',
  ]);
  return {
    stop: () => w.stop(),
    firstAll(names: string[], test: (s: PodState) => boolean): number | undefined {
      const state = new Map<string, PodState>();
      for (let i = 0; i < w.lines.length; i++) {
        const [pod, phase, ready] = (w.lines[i] ?? '').split(' ');
        if (!pod) continue;
        state.set(pod, { phase: phase ?? '', ready: ready === 'True' });
        if (names.every((n) => state.has(n) && test(state.get(n)!))) return w.times[i];
      }
      return undefined;
    },
  };
}

/** When the new attempt's pods were first all seen, all Running (containers started), all Ready. */
function podTimes(watch: ReturnType<typeof watchPods>, pods: Pod[]) {
  const names = pods.map((p) => p.metadata.name);
  return {
    createdAt: watch.firstAll(names, () => true),
    runningAt: watch.firstAll(names, (s) => s.phase === 'Running'),
    readyAt: watch.firstAll(names, (s) => s.ready),
  };
}

const since = (t: number | undefined, from: number) => (t === undefined ? NaN : t - from);

/**
 * Ready, with a checkpoint completed in the current attempt (so a failure restores a checkpoint
 * of this attempt), then `--settle` seconds.
 */
async function waitSteady(name: string): Promise<{ job: Job; pods: Pod[] }> {
  const { job } = await waitReady(ns, name, 300_000);
  const after = Math.max(job.status?.checkpoints?.lastCompleted?.id ?? 0, job.status?.restoredFrom?.id ?? 0);
  await waitCheckpoint(ns, name, after, (2 * INTERVAL + 60) * 1000);
  await sleep(SETTLE_MS);
  return waitReady(ns, name, 60_000);
}

/** Polls every 250 ms until the job is Ready=True in an attempt after `attempt`. */
async function waitNextAttemptReady(name: string, attempt: number): Promise<{ job: Job; at: number }> {
  return waitFor(
    `${name} Ready in an attempt after ${attempt}`,
    async () => {
      const job = await getJob(ns, name);
      const ok =
        (job.status?.attempt ?? 0) > attempt &&
        condition(job, 'Ready')?.status === 'True' &&
        job.status?.observedGeneration === job.metadata.generation &&
        job.status?.workers?.ready === P;
      return ok ? { done: true, value: { job, at: Date.now() } } : { done: false, observed: summary(job) };
    },
    300_000,
    250,
  );
}

const currentPods = async (name: string, job: Job) =>
  (await jobPods(ns, name)).filter((p) => p.metadata.name.startsWith(`${name}-${job.status?.attempt}-`));

interface KillRun {
  run: number;
  victim: string;
  attempt: number;
  restoredFrom?: string;
  lastCheckpointBeforeKill?: number;
  recoveryMs: number;
  /** Kill → every new worker connected to all peers and processing past its restored position. */
  connectedMs: number;
  firstRecordMs: number;
  podsReadyMs: number;
  jobReadyMs: number;
  /** Where the time went, each since the kill: new pods created, their containers started, ... */
  phasesMs: Record<string, number>;
  problem?: string;
}

/** Kill → the new attempt's workers connected and processing; see {@link watchNextAttempt}. */
async function connectedAfter(
  probe: ReturnType<typeof watchNextAttempt>,
): Promise<{ connectedAt: number; readyzAt: number } | undefined> {
  const timeout = setTimeout(() => probe.stop(), 120_000);
  try {
    const workers = await probe.done;
    if (workers.length === 0) return undefined;
    return {
      connectedAt: Math.max(...workers.map((w) => w.processingAt)),
      readyzAt: Math.max(...workers.map((w) => w.readyzAt)),
    };
  } finally {
    clearTimeout(timeout);
  }
}

async function killRun(
  proxy: KubeProxy,
  name: string,
  kind: 'pod-delete' | 'container-kill',
  run: number,
): Promise<KillRun> {
  const { job, pods } = await waitSteady(name);
  const attempt = job.status?.attempt ?? 0;
  const victim = pods[run % pods.length]!;
  const last = job.status?.checkpoints?.lastCompleted?.id;
  const restartsBefore = job.status?.restarts ?? 0;
  const containerId = kind === 'container-kill' ? containerIdOf(victim) : '';
  const watch = watchPods(name);
  const probe = watchNextAttempt({
    proxy,
    ns,
    job: name,
    afterAttempt: attempt,
    parallelism: P,
    stages: STAGES,
  });
  await sleep(500);
  const killedAt = Date.now();
  if (kind === 'pod-delete') {
    await kubectlOk(['-n', ns, 'delete', 'pod', victim.metadata.name, '--grace-period=0', '--force']);
  } else {
    await killContainer(containerId);
  }
  const ready = await waitNextAttemptReady(name, attempt);
  const newPods = await currentPods(name, ready.job);
  const flow = await waitFlow(newPods);
  const conn = await connectedAfter(probe);
  await watch.stop();
  const pt = podTimes(watch, newPods);
  const r = ready.job.status?.restoredFrom;
  const problems: string[] = [];
  if (pt.readyAt === undefined) problems.push('the pod watch did not see every new pod Ready');
  if (!conn) problems.push('the new workers were not seen connected and processing within 120 s');
  if (restartsBefore !== 0) problems.push(`the job had ${restartsBefore} restart(s) before the kill`);
  if (ready.job.status?.attemptReason !== 'WorkerFailed')
    problems.push(`attemptReason ${ready.job.status?.attemptReason}`);
  if (r?.kind !== 'checkpoint' || (r.id ?? 0) < (last ?? 0))
    problems.push(`restored ${JSON.stringify(r)}, the last checkpoint before the kill was ${last}`);
  if (flow.perWorker.some((w) => w.restoredCheckpoint !== r?.id))
    problems.push('not every new worker logged restoring that checkpoint');
  return {
    run,
    victim: victim.metadata.name,
    attempt: ready.job.status?.attempt ?? 0,
    ...(r ? { restoredFrom: `${r.kind} ${r.id}` } : {}),
    ...(last !== undefined ? { lastCheckpointBeforeKill: last } : {}),
    recoveryMs: flow.lastRunningAt - killedAt,
    connectedMs: since(conn?.connectedAt, killedAt),
    firstRecordMs: flow.firstRunningAt - killedAt,
    podsReadyMs: since(pt.readyAt, killedAt),
    jobReadyMs: ready.at - killedAt,
    phasesMs: {
      newPodsCreated: since(pt.createdAt, killedAt),
      containersStarted: since(pt.runningAt, killedAt),
      firstRecord: flow.firstRunningAt - killedAt,
      resumed: flow.lastRunningAt - killedAt,
      readyz: since(conn?.readyzAt, killedAt),
      connected: since(conn?.connectedAt, killedAt),
      podsReady: since(pt.readyAt, killedAt),
    },
    ...(problems.length ? { problem: problems.join('; ') } : {}),
  };
}

interface UpgradeRun {
  run: number;
  attempt: number;
  savepoint?: string;
  downtimeMs: number;
  /** Old attempt's last record → every new worker connected and processing past the savepoint. */
  connectedDowntimeMs: number;
  firstRecordDowntimeMs: number;
  podsReadyDowntimeMs: number;
  specChangeToLastRecordMs: number;
  specChangeToReadyMs: number;
  /** Each since the old attempt's last record: old workers exited, new pods created, ... */
  phasesMs: Record<string, number>;
  problem?: string;
}

async function upgradeRun(proxy: KubeProxy, name: string, run: number): Promise<UpgradeRun> {
  const { job, pods } = await waitSteady(name);
  const attempt = job.status?.attempt ?? 0;
  // The old workers' logs, followed until their containers exit (the operator deletes the pods after).
  const follows = pods.map((p) => ({
    pod: p.metadata.name,
    follow: kubectlLines(['-n', ns, 'logs', '-f', p.metadata.name]),
  }));
  const watch = watchPods(name);
  const probe = watchNextAttempt({
    proxy,
    ns,
    job: name,
    afterAttempt: attempt,
    parallelism: P,
    stages: STAGES,
  });
  await sleep(500);
  const patchedAt = Date.now();
  await patchJob(ns, name, {
    spec: {
      podTemplate: { metadata: { annotations: { 'bench.sluice.dev/upgrade': `${run}-${patchedAt}` } } },
    },
  });
  const ready = await waitNextAttemptReady(name, attempt);
  const newPods = await currentPods(name, ready.job);
  const flow = await waitFlow(newPods);
  const conn = await connectedAfter(probe);
  await watch.stop();
  const pt = podTimes(watch, newPods);
  const suspendedAt: number[] = [];
  const stoppedAt: number[] = [];
  for (const f of follows) {
    const lines = parseLogLines(await f.follow.stop());
    const s = lines.find((l) => l.msg === 'source suspended by stop-with-savepoint');
    if (s) suspendedAt.push(s.time);
    const e = lines.find((l) => l.msg === 'stopped with savepoint');
    if (e) stoppedAt.push(e.time);
  }
  const r = ready.job.status?.restoredFrom;
  const problems: string[] = [];
  if (pt.readyAt === undefined) problems.push('the pod watch did not see every new pod Ready');
  if (!conn) problems.push('the new workers were not seen connected and processing within 120 s');
  if (ready.job.status?.attemptReason !== 'SpecChanged')
    problems.push(`attemptReason ${ready.job.status?.attemptReason}`);
  if (r?.kind !== 'savepoint' || !/\/sp-\d+-operator$/.test(r.path))
    problems.push(`restored ${JSON.stringify(r)}, not an upgrade savepoint`);
  if (suspendedAt.length !== pods.length)
    problems.push(`${suspendedAt.length}/${pods.length} old workers logged their source suspended`);
  const lastOld = suspendedAt.length ? Math.max(...suspendedAt) : patchedAt;
  return {
    run,
    attempt: ready.job.status?.attempt ?? 0,
    ...(r ? { savepoint: `${r.kind} ${r.id}` } : {}),
    downtimeMs: flow.lastRunningAt - lastOld,
    connectedDowntimeMs: since(conn?.connectedAt, lastOld),
    firstRecordDowntimeMs: flow.firstRunningAt - lastOld,
    podsReadyDowntimeMs: since(pt.readyAt, lastOld),
    specChangeToLastRecordMs: lastOld - patchedAt,
    specChangeToReadyMs: ready.at - patchedAt,
    phasesMs: {
      oldStoppedAfterCommit: stoppedAt.length ? Math.max(...stoppedAt) - lastOld : NaN,
      newPodsCreated: since(pt.createdAt, lastOld),
      containersStarted: since(pt.runningAt, lastOld),
      firstRecord: flow.firstRunningAt - lastOld,
      resumed: flow.lastRunningAt - lastOld,
      readyz: since(conn?.readyzAt, lastOld),
      connected: since(conn?.connectedAt, lastOld),
      podsReady: since(pt.readyAt, lastOld),
    },
    ...(problems.length ? { problem: problems.join('; ') } : {}),
  };
}

type Stats = { n: number; median: number; min: number; max: number };
function stats(xs: number[]): Stats | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { n: s.length, median: Math.round(median), min: s[0]!, max: s.at(-1)! };
}
/** Median of each phase over the runs. */
function phaseMedians(runs: Array<{ phasesMs: Record<string, number> }>): Record<string, number> {
  const keys = runs[0] ? Object.keys(runs[0].phasesMs) : [];
  return Object.fromEntries(
    keys.map((k) => [
      k,
      stats(runs.map((r) => r.phasesMs[k]!).filter((x) => Number.isFinite(x)))?.median ?? NaN,
    ]),
  );
}
const fmtPhases = (m: Record<string, number>) =>
  Object.entries(m)
    .map(([k, v]) => `${k} ${secs(v)}`)
    .join(', ');

const fmtStats = (s: Stats | undefined) =>
  s ? `median ${secs(s.median)} (min ${secs(s.min)}, max ${secs(s.max)}, n=${s.n})` : 'no valid run';

function gitCommit(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const loadAvgStart = loadavg();
  progress(
    `recovery benchmark: ${RUNS} run(s) of ${SCENARIOS.join(', ')}; wordcount, parallelism ${P}, ` +
      `generator ${RATE} lines/s, checkpoints every ${INTERVAL} s, restart backoff ` +
      `${BACKOFF === undefined ? 'the CRD default' : `${BACKOFF} s`}; one StreamJob per run`,
  );
  await requireCluster();
  progress('helm install/upgrade of the chart (test/e2e/cluster.ts installChart)');
  await installChart();
  await createRestrictedNamespace(ns);
  const proxy = await startKubeProxy();
  /** spec.restartPolicy as the API server defaulted it, from the first job. */
  let restartPolicy: Record<string, unknown> | undefined;
  let previous: string | undefined;

  const kills: Record<'pod-delete' | 'container-kill', KillRun[]> = {
    'pod-delete': [],
    'container-kill': [],
  };
  const upgrades: UpgradeRun[] = [];
  try {
    for (let run = 1; run <= RUNS; run++) {
      for (const scenario of SCENARIOS) {
        if (previous) await deleteJob(previous);
        const name = `${SHORT[scenario]}-${run}`;
        previous = name;
        progress(
          `run ${run}/${RUNS} ${scenario}: StreamJob ${name} applied; waiting for it to be steady (Ready, a checkpoint)`,
        );
        await applyManifest(ns, manifest(name));
        restartPolicy ??= (await getJob(ns, name)).spec.restartPolicy as unknown as Record<string, unknown>;
        if (scenario === 'savepoint-upgrade') {
          const u = await upgradeRun(proxy, name, run);
          upgrades.push(u);
          progress(
            `run ${run}/${RUNS} ${scenario}: downtime ${secs(u.downtimeMs)} (connected ${secs(u.connectedDowntimeMs)}, to the first record ${secs(u.firstRecordDowntimeMs)}), ` +
              `spec change → old attempt stopped reading ${secs(u.specChangeToLastRecordMs)}, → Ready ${secs(u.specChangeToReadyMs)}; ` +
              `attempt ${u.attempt} from ${u.savepoint}${u.problem ? `; PROBLEM: ${u.problem}` : ''}`,
          );
        } else {
          const k = await killRun(proxy, name, scenario, run);
          kills[scenario].push(k);
          progress(
            `run ${run}/${RUNS} ${scenario} of ${k.victim}: processing resumed after ${secs(k.recoveryMs)} ` +
              `(connected ${secs(k.connectedMs)}, first record ${secs(k.firstRecordMs)}, pods Ready ${secs(k.podsReadyMs)}, job Ready ${secs(k.jobReadyMs)}); ` +
              `attempt ${k.attempt} from ${k.restoredFrom}` +
              `${k.problem ? `; PROBLEM: ${k.problem}` : ''}`,
          );
        }
      }
    }
  } finally {
    proxy.stop();
    if (!args.keep) await kubectl(['delete', 'namespace', ns, '--wait=false']);
    else progress(`--keep: namespace ${ns} left in place`);
  }

  const valid = <T extends { problem?: string }>(xs: T[]) => xs.filter((x) => !x.problem);
  const summaryOf = {
    'pod-delete': {
      recoveryMs: stats(valid(kills['pod-delete']).map((k) => k.recoveryMs)),
      connectedMs: stats(valid(kills['pod-delete']).map((k) => k.connectedMs)),
      firstRecordMs: stats(valid(kills['pod-delete']).map((k) => k.firstRecordMs)),
      podsReadyMs: stats(valid(kills['pod-delete']).map((k) => k.podsReadyMs)),
      jobReadyMs: stats(valid(kills['pod-delete']).map((k) => k.jobReadyMs)),
      phaseMediansMs: phaseMedians(valid(kills['pod-delete'])),
    },
    'container-kill': {
      recoveryMs: stats(valid(kills['container-kill']).map((k) => k.recoveryMs)),
      connectedMs: stats(valid(kills['container-kill']).map((k) => k.connectedMs)),
      firstRecordMs: stats(valid(kills['container-kill']).map((k) => k.firstRecordMs)),
      podsReadyMs: stats(valid(kills['container-kill']).map((k) => k.podsReadyMs)),
      jobReadyMs: stats(valid(kills['container-kill']).map((k) => k.jobReadyMs)),
      phaseMediansMs: phaseMedians(valid(kills['container-kill'])),
    },
    'savepoint-upgrade': {
      downtimeMs: stats(valid(upgrades).map((u) => u.downtimeMs)),
      connectedDowntimeMs: stats(valid(upgrades).map((u) => u.connectedDowntimeMs)),
      firstRecordDowntimeMs: stats(valid(upgrades).map((u) => u.firstRecordDowntimeMs)),
      podsReadyDowntimeMs: stats(valid(upgrades).map((u) => u.podsReadyDowntimeMs)),
      specChangeToReadyMs: stats(valid(upgrades).map((u) => u.specChangeToReadyMs)),
      phaseMediansMs: phaseMedians(valid(upgrades)),
    },
  };
  /** One verdict per scenario and definition of "resumed" (issue 15 asks for both). */
  const targets: Array<{
    scenario: Scenario;
    definition: 'resumed' | 'connected';
    what: string;
    target: string;
    targetMs: number;
    medianMs?: number;
    pass?: boolean;
  }> = [];
  for (const definition of ['resumed', 'connected'] as const) {
    for (const kind of ['pod-delete', 'container-kill'] as const) {
      if (!SCENARIOS.includes(kind)) continue;
      const k = summaryOf[kind];
      const m = (definition === 'resumed' ? k.recoveryMs : k.connectedMs)?.median;
      targets.push({
        scenario: kind,
        definition,
        what: `recovery after ${kind} (${definition})`,
        target: '< 10 s',
        targetMs: TARGETS.recoveryMs,
        ...(m !== undefined ? { medianMs: m, pass: m < TARGETS.recoveryMs } : {}),
      });
    }
    if (SCENARIOS.includes('savepoint-upgrade')) {
      const u = summaryOf['savepoint-upgrade'];
      const m = (definition === 'resumed' ? u.downtimeMs : u.connectedDowntimeMs)?.median;
      targets.push({
        scenario: 'savepoint-upgrade',
        definition,
        what: `savepoint upgrade downtime (${definition})`,
        target: '< 15 s',
        targetMs: TARGETS.upgradeDowntimeMs,
        ...(m !== undefined ? { medianMs: m, pass: m < TARGETS.upgradeDowntimeMs } : {}),
      });
    }
  }

  console.log(
    '\n== recovery: kill → every worker of the new attempt running (state restored, reading input)',
  );
  for (const kind of ['pod-delete', 'container-kill'] as const) {
    if (!SCENARIOS.includes(kind)) continue;
    const k = summaryOf[kind];
    console.log(`${kind.padEnd(15)} recovery      ${fmtStats(k.recoveryMs)}`);
    console.log(`${''.padEnd(15)} connected     ${fmtStats(k.connectedMs)}`);
    console.log(`${''.padEnd(15)} first record  ${fmtStats(k.firstRecordMs)}`);
    console.log(`${''.padEnd(15)} pods Ready    ${fmtStats(k.podsReadyMs)}`);
    console.log(`${''.padEnd(15)} job Ready     ${fmtStats(k.jobReadyMs)}`);
    console.log(`${''.padEnd(15)} medians since the kill: ${fmtPhases(k.phaseMediansMs)}`);
  }
  if (SCENARIOS.includes('savepoint-upgrade')) {
    const u = summaryOf['savepoint-upgrade'];
    console.log(
      '\n== savepoint upgrade: old attempt stops reading → every worker of the new attempt running',
    );
    console.log(`downtime                 ${fmtStats(u.downtimeMs)}`);
    console.log(`  to connected           ${fmtStats(u.connectedDowntimeMs)}`);
    console.log(`  to the first record    ${fmtStats(u.firstRecordDowntimeMs)}`);
    console.log(`  to pods Ready          ${fmtStats(u.podsReadyDowntimeMs)}`);
    console.log(`spec change → job Ready  ${fmtStats(u.specChangeToReadyMs)}`);
    console.log(`medians since the old attempt's last record: ${fmtPhases(u.phaseMediansMs)}`);
  }
  const problems = [...kills['pod-delete'], ...kills['container-kill'], ...upgrades].filter((x) => x.problem);
  if (problems.length)
    console.log(`\n${problems.length} run(s) left out of the figures (see "problem" in the JSON)`);
  console.log('\n== targets (medians; printed, not asserted)');
  for (const t of targets) {
    console.log(
      `${t.pass === undefined ? 'NO DATA' : t.pass ? 'PASS' : 'MISS'}  ${t.what}: ${secs(t.medianMs)} (target ${t.target})`,
    );
  }

  const result = {
    benchmark: 'recovery',
    date: new Date().toISOString(),
    commit: gitCommit(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      kernel: kernelRelease(),
      node: process.version,
      loadAvgStart,
      loadAvgEnd: loadavg(),
    },
    config: {
      runs: RUNS,
      scenarios: SCENARIOS,
      parallelism: P,
      generatorLinesPerSecond: RATE,
      wordsPerLine: 8,
      checkpointIntervalS: INTERVAL,
      restartPolicy:
        BACKOFF === undefined
          ? `CRD defaults (backoff ${String(restartPolicy?.backoffSeconds ?? '?')} s)`
          : `backoff ${BACKOFF} s (--backoff-seconds)`,
      restartPolicySpec: restartPolicy,
      jobPerRun: true,
      settleS: SETTLE_MS / 1000,
      cluster: 'kind, one node (the e2e cluster), chart with the dev MinIO',
      definitions: {
        resumed: 'latest `worker running` log time of the new attempt’s workers',
        connected:
          'every new worker answered /readyz 200 (running, connected to all peers) and each of its tasks took records since it started (sluice_task_records_in_total > 0 on /metrics), polled every 200 ms through kubectl proxy',
        firstRecord: 'earliest `worker running` log time of the new attempt',
        podsReady:
          'a pod watch shows every new pod Ready (readinessProbe /readyz every 1 s: running and connected to all peers)',
        jobReady: 'StreamJob Ready=True in the new attempt, polled every 250 ms',
        recovery: 'resumed − time just before the kill command was issued',
        upgradeDowntime:
          'resumed − latest `source suspended by stop-with-savepoint` log time of the old attempt’s workers',
      },
    },
    summary: summaryOf,
    targets,
    runs: {
      'pod-delete': kills['pod-delete'],
      'container-kill': kills['container-kill'],
      'savepoint-upgrade': upgrades,
    },
    totalSeconds: Math.round((Date.now() - t0) / 1000),
  };
  provenance.loadAverage.end = loadAverage();
  mkdirSync(dirname(args.out), { recursive: true });
  // Formatted as the repository's prettier would (make lint checks bench/results/ too).
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

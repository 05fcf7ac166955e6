/**
 * One worker (subtask i of p): builds the job's plan, restores its share of a snapshot, opens
 * the source and sink, connects the shuffle, and runs the source task and one task per keyed
 * stage until it fails or finishes a stop-with-savepoint.
 *
 * Checkpoint N (docs/runtime.md "Checkpoints"): the control channel delivers request N → the
 * source task records its split offsets and emits barrier N → every stage aligns N over all its
 * inputs, captures its keyed state and forwards N (the last stage pre-commits the sink) → the
 * snapshot file is uploaded and the ack published → when the coordinator reports N committed,
 * the sink commits its transactions ≤ N. A stop request additionally suspends the source after
 * the barrier and ends the worker (exit 0) once N is committed.
 *
 * Bounded input: when every source is exhausted, end-of-data travels through all channels; the
 * worker's first checkpoint whose barrier follows it everywhere is final for the worker, and its
 * ack says so (`final`). Workers joined by a shuffle agree on that checkpoint (a source emits
 * end-of-data and barriers on all its channels at once); workers without one may end their input
 * at different checkpoints, so a worker that is done keeps answering checkpoints until the
 * coordinator reports one that every worker acked as final (`onFinal`), and ends (exit 0) once
 * it has committed it (docs/runtime.md "Checkpoint protocol").
 */
import type { Logger } from 'pino';
import type { CheckpointAck, CheckpointRequest } from '@sluice/api/protocol.ts';
import { StreamEnvironment, type JobDefinition } from '../api/stream.ts';
import type { JobContext, OperatorContext, SinkWriter, SourceReader, SplitState } from '../api/types.ts';
import { RestoreError, type RestoredSnapshot } from '../checkpoint/restore.ts';
import { writeWorkerSnapshot } from '../checkpoint/snapshot-writer.ts';
import { removeStaleSnapshotTemps } from '../checkpoint/snapshot-temp-files.ts';
import type { WorkerConfig } from '../config.ts';
import { DEFAULT_ACK_TIMEOUT_MS } from '../control/ack-retry.ts';
import type { ControlChannel, WorkerStatus } from '../control/control.ts';
import { keyGroupRangeFor } from '../core/keygroups.ts';
import type { ChainOperator } from '../dataflow/operator.ts';
import { planUids, type JobPlan } from '../dataflow/plan.ts';
import type { ObjectStore } from '../io/object-store.ts';
import type { TaskSample } from '../metrics/task-metrics.ts';
import type { MetricFamily } from '../metrics/prometheus-text.ts';
import { ShuffleService, type ShuffleOptions } from '../shuffle/shuffle.ts';
import type { KeyedStateBackend } from '../state/keyed-state-backend.ts';
import { restoreKeyedSections } from '../state/restore-keyed-state.ts';
import { removeStaleStateDirs } from '../state/state-dirs.ts';
import { StageState, rocksdbSectionName } from '../state/stage-state.ts';
import { buildChain } from './chain.ts';
import { SnapshotCollector, type SnapshotPart } from './snapshot-collector.ts';
import { SourceTask } from './source-task.ts';
import { StageTask } from './stage-task.ts';
import { shuffleOutput, sinkOutput, type StageOutput } from './stage-output.ts';

/** What a worker is given. */
export interface WorkerDeps {
  config: WorkerConfig;
  definition: JobDefinition;
  store: ObjectStore;
  storeFor: (bucket: string) => ObjectStore;
  control: ControlChannel;
  log: Logger;
  /** State to restore (loaded by checkpoint/restore.ts), if any. */
  restored?: RestoredSnapshot;
  /** Shuffle tuning (tests, benchmarks). */
  shuffle?: Pick<ShuffleOptions, 'credits' | 'output' | 'connectTimeoutMs' | 'listenHost'>;
}

export class Worker {
  private readonly d: WorkerDeps;
  private phase: WorkerStatus['phase'] = 'starting';
  private shuffle: ShuffleService | undefined;
  private sourceTask: SourceTask | undefined;
  private stageTasks: StageTask[] = [];
  private stageStates: StageState[] = [];
  private reader: SourceReader<unknown> | undefined;
  private writer: SinkWriter<unknown> | undefined;
  private sinkOut: StageOutput | undefined;
  private lastRequested = -1;
  private lastAck: CheckpointAck | null = null;
  private lastCommitted: number | null = null;
  private stopAfter: number | undefined;
  /** Id of this worker's first checkpoint that covered all its input, once acked. */
  private finalFrom: number | undefined;
  /** Newest checkpoint the coordinator reported final for every worker (`onFinal`). */
  private jobFinal: number | undefined;
  /** Newest checkpoint whose commit the sink has finished. */
  private commitDone: number | undefined;
  private commitChain: Promise<void> = Promise.resolve();
  private readonly requestedAt = new Map<number, number>();
  private restoredEntries = 0;
  private statusTimer: NodeJS.Timeout | undefined;
  private progressTimer: NodeJS.Timeout | undefined;
  private settle: { resolve: () => void; reject: (err: Error) => void } | undefined;
  private settled = false;

  constructor(deps: WorkerDeps) {
    this.d = deps;
  }

  /** Current status. */
  status(): WorkerStatus {
    const c = this.d.config;
    return {
      subtask: c.subtask,
      attempt: c.attempt,
      phase: this.phase,
      connected: this.shuffle?.ready ?? false,
      sourceExhausted: this.sourceTask?.exhausted ?? false,
      recordsRead: this.sourceTask?.recordsRead ?? 0,
      recordsProcessed: this.stageTasks.reduce((n, t) => n + t.recordsIn, 0),
      recordsWritten: this.sinkOut?.records ?? 0,
      splits: this.reader?.splitCount() ?? 0,
      lastAck: this.lastAck,
      lastCommitted: this.lastCommitted,
      restoredFrom: this.d.restored?.path ?? null,
      restoredEntries: this.restoredEntries,
    };
  }

  /** Counters of the source task and every stage task (metrics/task-metrics.ts); empty before start. */
  /** The source reader's own metric families (e.g. Kafka consumer lag); empty before it is open. */
  sourceMetricFamilies(): MetricFamily[] {
    return this.reader?.metricFamilies?.() ?? [];
  }

  taskSamples(): TaskSample[] {
    if (!this.sourceTask) return [];
    return [this.sourceTask.sample(), ...this.stageTasks.map((t) => t.sample())];
  }

  /**
   * Runs the worker. Resolves after a completed stop-with-savepoint; rejects on any failure
   * (operator error, lost peer, failed commit, invalid restore).
   */
  run(): Promise<void> {
    const done = new Promise<void>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    this.start().catch((err: unknown) => this.fail(err as Error));
    return done;
  }

  /** Fails the worker with `err` (first failure wins). */
  fail(err: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.phase = 'failed';
    this.publishStatus();
    void this.teardown();
    this.settle?.reject(err);
  }

  private finishStop(): void {
    if (this.settled) return;
    this.settled = true;
    this.phase = 'stopped';
    this.publishStatus();
    void this.teardown().then(() => this.settle?.resolve());
  }

  /** Stops tasks and closes connections (idempotent). */
  async teardown(): Promise<void> {
    if (this.statusTimer) clearInterval(this.statusTimer);
    if (this.progressTimer) clearInterval(this.progressTimer);
    this.sourceTask?.close();
    for (const t of this.stageTasks) t.close();
    if (this.shuffle) this.shuffle.stopping = true;
    await Promise.allSettled([this.shuffle?.close(), this.reader?.close(), this.writer?.close()]);
    // The stage tasks are closed: nothing touches the state any more.
    const closing = this.stageStates.splice(0).map((b) => b.close());
    for (const r of await Promise.allSettled(closing)) {
      if (r.status === 'rejected')
        this.d.log.warn({ err: (r.reason as Error).message }, 'closing a state backend failed');
    }
  }

  private publishStatus(): void {
    this.d.control.setStatus(this.status());
  }

  private buildPlan(): { plan: JobPlan; ctx: JobContext } {
    const c = this.d.config;
    const ctx: JobContext = {
      config: c.jobConfig,
      jobName: c.jobName,
      jobUid: c.jobUid,
      subtask: c.subtask,
      parallelism: c.parallelism,
      maxParallelism: c.maxParallelism,
      attempt: c.attempt,
      ...(c.checkpoint ? { checkpoint: c.checkpoint } : {}),
    };
    const env = new StreamEnvironment();
    this.d.definition(env, ctx);
    return { plan: env.build(), ctx };
  }

  /**
   * Refuses snapshot state that belongs to no operator of this job (unless allowed): the
   * operator states' uids, and `keyedUids` (the keyed tables' uids, known once they were read).
   */
  private checkRestoredUids(
    plan: JobPlan,
    restored: RestoredSnapshot,
    keyedUids: Iterable<string> = [],
  ): void {
    const known = new Set(planUids(plan));
    // RocksDB state handles (`rocksdb/<stage>`) are stages' keyed state, not an operator's.
    const inSnapshot = new Set<string>(
      [...restored.operatorStates.keys()].filter((u) => !u.startsWith('rocksdb/')),
    );
    for (const u of keyedUids) inSnapshot.add(u);
    const unknown = [...inSnapshot].filter((u) => !known.has(u));
    if (unknown.length === 0) return;
    if (this.d.config.allowNonRestoredState) {
      this.d.log.warn({ uids: unknown }, 'dropping snapshot state of operators this job does not have');
      return;
    }
    throw new RestoreError(
      `snapshot ${restored.path} has state for operator uid(s) ${unknown.join(', ')} that this job does not define; ` +
        'set allowNonRestoredState to drop it, or keep the operators (same uid)',
    );
  }

  private async start(): Promise<void> {
    const { config: c, log, restored } = this.d;
    const { plan, ctx } = this.buildPlan();
    if (restored) this.checkRestoredUids(plan, restored);
    const range = keyGroupRangeFor(c.maxParallelism, c.parallelism, c.subtask);
    const boundaries = plan.stages.length - 1;
    const opCtx: OperatorContext = { ...ctx, store: this.d.store, storeFor: this.d.storeFor, log };

    this.shuffle = new ShuffleService({
      subtask: c.subtask,
      parallelism: c.parallelism,
      attempt: c.attempt,
      jobUid: c.jobUid,
      token: c.shuffleToken,
      peers: c.peers,
      listenPort: c.dataPort,
      boundaries,
      log,
      onFatal: (err) => this.fail(err),
      ...this.d.shuffle,
    });

    // Sink and source (operator state is redistributed by the sink/source themselves).
    const lastStage = plan.stages[plan.stages.length - 1]!;
    if (lastStage.exit.kind !== 'sink') throw new Error('internal: the last stage does not end in a sink');
    const sinkUid = lastStage.exit.uid;
    this.writer = await lastStage.exit.sink.open(opCtx, restored?.operatorStates.get(sinkUid));
    const restoredSplits = restored?.operatorStates.get(plan.source.uid) as SplitState[][] | undefined;
    this.reader = await plan.source.source.open(opCtx, restored ? (restoredSplits ?? []).flat() : undefined);

    const collector = new SnapshotCollector(
      plan.stages.length,
      (req, parts) => this.finishSnapshot(req, parts, range),
      (req, reason) =>
        this.publishAck({ id: req.id, subtask: c.subtask, bytes: 0, files: [], error: reason }, req).then(
          () => undefined,
        ),
      (err) => this.fail(err),
    );

    // Keyed stages, last to first so each knows its exit.
    const outputFor = (stageIndex: number): StageOutput => {
      const stage = plan.stages[stageIndex]!;
      if (stage.exit.kind === 'sink') {
        this.sinkOut = sinkOutput(this.writer!);
        return this.sinkOut;
      }
      return shuffleOutput(
        this.shuffle!.output(stageIndex + 1),
        stage.exit.keySelector,
        c.maxParallelism,
        c.parallelism,
      );
    };
    if (c.state.backend === 'rocksdb') {
      // Snapshot files a killed run was writing too (restore downloads are this run's, in use).
      const removed = [
        ...(await removeStaleStateDirs(c.state.dir, c.subtask)),
        ...(await removeStaleSnapshotTemps(c.state.dir, 'snapwrite', c.subtask)),
      ];
      if (removed.length > 0) log.info({ dir: c.state.dir, removed }, 'removed local state of earlier runs');
    }
    const states: StageState[] = [];
    for (let k = 1; k < plan.stages.length; k++) {
      const state = await StageState.open({
        config: c.state,
        stage: k,
        subtask: c.subtask,
        range,
        store: this.d.store,
        jobPrefix: c.storage.prefix,
        ...(restored
          ? {
              restoredHandles: restored.operatorStates.get(rocksdbSectionName(k)) ?? [],
              restoredFrom: this.d.store.url(restored.path),
            }
          : {}),
      });
      if (this.settled) {
        // Failed while opening: teardown has run already.
        await state.close();
        return;
      }
      this.stageStates.push(state);
      states[k] = state;
    }
    if (restored) {
      // Canonical keyed sections, one key group at a time, into the stage of each table's uid.
      const backendOf = new Map<string, KeyedStateBackend>();
      for (let k = 1; k < plan.stages.length; k++) {
        for (const step of plan.stages[k]!.steps)
          if (step.kind === 'keyed') backendOf.set(step.uid, states[k]!.backend);
      }
      try {
        const { unclaimed } = await restoreKeyedSections(restored.keyedSections(), backendOf);
        this.checkRestoredUids(plan, restored, unclaimed);
      } finally {
        await restored.close();
      }
      if (this.settled) return;
    }
    for (let k = 1; k < plan.stages.length; k++) {
      const stage = plan.stages[k]!;
      const state = states[k]!;
      const backend = state.backend;
      this.restoredEntries += backend.entryCount();
      const ref: { task?: StageTask } = {};
      const rt = { backend, watermark: () => ref.task?.watermark ?? -Infinity };
      const ops: ChainOperator[] = stage.steps.map((s) => (s.kind === 'keyed' ? s.create(rt) : s.create()));
      const output = outputFor(k);
      const chain = buildChain(ops, output.emit, (wm) => output.watermark(wm));
      const task = new StageTask({
        stage: k,
        input: this.shuffle.input(k),
        backend,
        capture: (id, kind) =>
          state.capture(id, kind, Date.now() + (c.checkpoint?.timeoutMs ?? DEFAULT_ACK_TIMEOUT_MS)),
        chain,
        output,
        ...(stage.exit.kind === 'sink' ? { sinkUid } : {}),
        collector,
        log,
      });
      ref.task = task;
      this.stageTasks.push(task);
    }
    const s0 = plan.stages[0]!;
    const ops0 = s0.steps.map((s) => {
      if (s.kind !== 'stateless') throw new Error(`internal: keyed operator ${s.uid} before the first keyBy`);
      return s.create();
    });
    const out0 = outputFor(0);
    const chain0 = buildChain(ops0, out0.emit, (wm) => out0.watermark(wm));
    this.sourceTask = new SourceTask({
      reader: this.reader,
      sourceUid: plan.source.uid,
      ...(s0.exit.kind === 'sink' ? { sinkUid } : {}),
      chain: chain0,
      output: out0,
      collector,
      log,
    });
    if (restored) {
      log.info(
        {
          restoredFrom: restored.path,
          checkpointId: restored.metadata.id,
          entries: this.restoredEntries,
          bytesRead: restored.bytesRead,
        },
        'restored state',
      );
    }

    await this.shuffle.start();
    await this.d.control.start({
      onCheckpointRequest: (req) => this.onRequest(req),
      onCommitted: (id) => this.onCommitted(id),
      onFinal: (id) => this.onFinal(id),
    });
    this.phase = 'running';
    this.statusTimer = setInterval(() => this.publishStatus(), 100);
    this.progressTimer = setInterval(() => {
      const st = this.status();
      log.info(
        {
          recordsRead: st.recordsRead,
          recordsProcessed: st.recordsProcessed,
          recordsWritten: st.recordsWritten,
          lastAck: st.lastAck?.id ?? null,
          lastCommitted: st.lastCommitted,
          sourceExhausted: st.sourceExhausted,
        },
        'progress',
      );
    }, 30_000);
    this.progressTimer.unref();
    this.publishStatus();
    log.info(
      {
        stages: plan.stages.length,
        stateBackend: c.state.backend,
        keyGroups: `${range.start}..${range.end}`,
        splits: this.reader.splitCount(),
        source: plan.source.source.kind,
        sink: lastStage.exit.sink.kind,
      },
      'worker running',
    );
    const tasks = [this.sourceTask.run(), ...this.stageTasks.map((t) => t.run())];
    await Promise.all(tasks);
  }

  private onRequest(req: CheckpointRequest): void {
    if (req.id <= this.lastRequested || this.settled || !this.sourceTask) return;
    this.lastRequested = req.id;
    this.requestedAt.set(req.id, performance.now());
    this.d.log.debug(
      { checkpointId: req.id, kind: req.kind, stop: req.stop === true },
      'checkpoint requested',
    );
    this.sourceTask.injectBarrier(req);
  }

  private async finishSnapshot(
    req: CheckpointRequest,
    parts: SnapshotPart[],
    range: { start: number; end: number },
  ): Promise<void> {
    const c = this.d.config;
    let ack: CheckpointAck;
    const t0 = this.requestedAt.get(req.id) ?? performance.now();
    const final = parts.every((p) => p.final);
    try {
      ack = await writeWorkerSnapshot(
        this.d.store,
        req,
        {
          subtask: c.subtask,
          parallelism: c.parallelism,
          maxParallelism: c.maxParallelism,
          keyGroupRange: range,
          ...(c.state.backend === 'rocksdb' ? { workDir: c.state.dir } : {}),
        },
        parts,
      );
      if (final) ack = { ...ack, final: true };
    } catch (err) {
      this.d.log.error({ checkpointId: req.id, err: (err as Error).message }, 'checkpoint failed');
      ack = { id: req.id, subtask: c.subtask, bytes: 0, files: [], error: (err as Error).message };
    }
    const published = await this.publishAck(ack, req);
    this.requestedAt.delete(req.id);
    if (published && !ack.error) {
      this.d.log.info(
        {
          checkpointId: req.id,
          kind: req.kind,
          bytes: ack.bytes,
          durationMs: Math.round(performance.now() - t0),
        },
        'checkpoint acknowledged',
      );
      if (req.stop || final) {
        if (req.stop) this.stopAfter = req.id;
        else if (this.finalFrom === undefined) {
          this.finalFrom = req.id;
          this.d.log.info(
            { checkpointId: req.id },
            'all input processed; finishing once a checkpoint final for every worker is committed',
          );
          this.maybeFinish();
        }
        this.phase = 'stopping';
        // Peers finishing the same snapshot may now disconnect.
        if (this.shuffle) this.shuffle.stopping = true;
      }
    }
  }

  /**
   * Publishes `ack`, retrying until `req`'s timeout (control/ack-retry.ts). An ack that cannot be
   * published in time fails only its checkpoint (the coordinator aborts it at its timeout), never
   * the worker: an API server outage must not kill jobs. @returns whether it was published
   */
  private async publishAck(ack: CheckpointAck, req: CheckpointRequest): Promise<boolean> {
    if (this.lastAck && ack.id < this.lastAck.id) return false;
    const timeoutMs = req.timeoutSeconds !== undefined ? req.timeoutSeconds * 1000 : DEFAULT_ACK_TIMEOUT_MS;
    const requested = this.requestedAt.get(req.id);
    const elapsedMs = requested !== undefined ? performance.now() - requested : 0;
    try {
      await this.d.control.ack(ack, Date.now() + timeoutMs - elapsedMs);
    } catch (err) {
      this.d.log.error(
        { checkpointId: ack.id, err: (err as Error).message },
        'ack not published before the checkpoint timed out; the checkpoint fails, the worker keeps running',
      );
      return false;
    }
    this.lastAck = ack;
    this.publishStatus();
    return true;
  }

  private onCommitted(id: number): void {
    if (this.settled || (this.lastCommitted !== null && id <= this.lastCommitted) || !this.writer) return;
    this.lastCommitted = id;
    // Incremental checkpoints reuse the uploads of the last completed one (docs/state.md).
    for (const st of this.stageStates) st.committed(id);
    const writer = this.writer;
    // The source's follow-up (Kafka group offsets) runs beside the sink commit and never fails the job.
    void this.reader
      ?.notifyCheckpointComplete?.(id)
      .catch((err: unknown) =>
        this.d.log.warn(
          { checkpointId: id, err: (err as Error).message },
          'source commit notification failed',
        ),
      );
    this.commitChain = this.commitChain
      .then(() => writer.commit(id))
      .then(() => {
        this.d.log.debug({ checkpointId: id }, 'checkpoint committed');
        this.commitDone = id;
        this.publishStatus();
        if (this.stopAfter !== undefined && id >= this.stopAfter) {
          this.d.log.info({ checkpointId: this.stopAfter }, 'stopped with savepoint');
          this.finishStop();
        } else this.maybeFinish();
      })
      .catch((err: unknown) =>
        this.fail(new Error(`committing checkpoint ${id} failed: ${(err as Error).message}`, { cause: err })),
      );
  }

  private onFinal(id: number): void {
    if (this.jobFinal !== undefined && id <= this.jobFinal) return;
    this.jobFinal = id;
    this.maybeFinish();
  }

  /**
   * Ends the worker (exit 0) once a checkpoint that every worker acked as final is committed
   * here, and this worker's own input was covered by then.
   */
  private maybeFinish(): void {
    const { finalFrom, jobFinal, commitDone } = this;
    if (finalFrom === undefined || jobFinal === undefined || commitDone === undefined) return;
    if (jobFinal < finalFrom || commitDone < jobFinal) return;
    this.d.log.info({ checkpointId: jobFinal }, 'finished: all input processed and committed');
    this.finishStop();
  }
}

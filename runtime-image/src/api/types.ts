/**
 * Public types of the Sluice job API: functions users write, and the contracts of sources
 * and sinks. A job module builds a pipeline with StreamEnvironment (stream.ts); the runtime
 * runs one instance of the whole pipeline on every worker.
 *
 * Values that flow through keyBy or live in state must be msgpack-encodable plain data: null,
 * booleans, numbers, strings, arrays, plain objects, Uint8Array (no Map/Set/class instances,
 * no undefined inside arrays). Event times are ms since the epoch; NO_TIMESTAMP marks records
 * without one.
 */
import type { Logger } from 'pino';
import type { ObjectStore } from '../io/object-store.ts';
import type { TimeWindow } from '../core/windows.ts';
import type { MetricFamily } from '../metrics/prometheus-text.ts';

/** JSON value (spec.job.config). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };

/** Timestamp of records that have no event time. Windows refuse such records. */
export const NO_TIMESTAMP = -Infinity;

/** Where the job runs; passed to the job definition and to sources and sinks. */
export interface JobContext {
  /** spec.job.config (parsed SLUICE_JOB_CONFIG; `{}` when unset). */
  config: JsonValue;
  jobName: string;
  /** The StreamJob's uid (SLUICE_JOB_UID; the job name when unset, e.g. in local mode). */
  jobUid: string;
  subtask: number;
  parallelism: number;
  maxParallelism: number;
  /** Restart attempt of the job (increases on every restart/upgrade). */
  attempt: number;
  /**
   * spec.checkpoint's interval and timeout in ms (SLUICE_CHECKPOINT_*_MS); undefined in local
   * runs that do not set them.
   */
  checkpoint?: { intervalMs: number; timeoutMs: number };
}

/** What sources and sinks get at open: the job context, storage and a logger. */
export interface OperatorContext extends JobContext {
  /** The job's storage bucket (SLUICE_STORAGE_*). */
  store: ObjectStore;
  /** The same credentials on another bucket. */
  storeFor(bucket: string): ObjectStore;
  log: Logger;
}

// ---------------------------------------------------------------- sources

/** State of one source split; plain data with a unique `id`. Stored in snapshots. */
export interface SplitState {
  id: string;
  [field: string]: unknown;
}

/** One record produced by a source. */
export interface SourceRecord<T> {
  value: T;
  /** Event time in ms (default NO_TIMESTAMP). */
  timestamp?: number;
}

/**
 * Reads the splits one subtask owns. Called from one task only (never concurrently).
 * `poll` returns up to `max` records, `'idle'` when nothing is available right now (the task
 * retries soon), or `'end'` once every owned split is exhausted and no more will appear.
 */
export interface SourceReader<T> {
  poll(max: number): Promise<SourceRecord<T>[] | 'idle' | 'end'>;
  /**
   * Event-time watermark in ms: no later record will have a smaller timestamp.
   * −Infinity when unknown; +Infinity after the end.
   */
  watermark(): number;
  /**
   * States of the owned splits at this moment (called at the barrier of checkpoint
   * `checkpointId`; undefined outside a checkpoint).
   */
  snapshot(checkpointId?: number): SplitState[];
  /**
   * Optional: checkpoint `checkpointId` is complete (its commit notification; ids only grow,
   * some may be skipped). For side effects that must follow a completed checkpoint and must
   * not fail the job (e.g. committing offsets for monitoring); the promise never rejects.
   */
  notifyCheckpointComplete?(checkpointId: number): Promise<void>;
  /** Optional: the reader's own metric families for the worker's `/metrics` (e.g. consumer lag). */
  metricFamilies?(): MetricFamily[];
  /** Number of owned splits (for status). */
  splitCount(): number;
  close(): Promise<void>;
}

/**
 * A resumable source. `open` decides which splits this subtask owns — deterministically from
 * (split id, parallelism), so that after a rescale every split has exactly one owner — and
 * resumes them from `restored`, the split states of all subtasks of the snapshot (undefined on
 * a fresh start).
 */
export interface Source<T> {
  /** Kind, for logs (e.g. `generator`, `s3`). */
  readonly kind: string;
  open(ctx: OperatorContext, restored: SplitState[] | undefined): Promise<SourceReader<T>>;
}

// ---------------------------------------------------------------- sinks

/** What a sink's pre-commit returns: its state for the snapshot and when its uploads are durable. */
export interface PreCommitResult {
  /** Operator state of this sink subtask (plain data), stored in the snapshot. */
  state: unknown;
  /** Resolves when everything `state` refers to is durably stored; the ack waits for it. */
  durable: Promise<void>;
}

/**
 * A sink subtask. `write` buffers (synchronously); `preCommit(N)` closes transaction N at
 * barrier N; `commit(N)` makes every transaction ≤ N visible once checkpoint N is complete.
 */
export interface SinkWriter<T> {
  write(value: T, timestamp: number): void;
  preCommit(checkpointId: number): PreCommitResult;
  commit(checkpointId: number): Promise<void>;
  /** A promise when the writer wants its producer to wait (e.g. too many uploads in flight). */
  ready(): Promise<void> | undefined;
  close(): Promise<void>;
}

/**
 * A sink. `restored` is the union of the pre-commit states of all subtasks of the snapshot
 * (undefined on a fresh start); a two-phase sink re-commits what they list as pending.
 */
export interface Sink<T> {
  readonly kind: string;
  open(ctx: OperatorContext, restored: unknown[] | undefined): Promise<SinkWriter<T>>;
}

// ---------------------------------------------------------------- keyed state and functions

/** Per-key single value. Reads and writes apply to the key of the current record. */
export interface ValueState<T> {
  value(): T | undefined;
  update(value: T): void;
  clear(): void;
}

/** Per-key map from user keys to values. */
export interface MapState<K extends string | number, V> {
  get(key: K): V | undefined;
  put(key: K, value: V): void;
  has(key: K): boolean;
  remove(key: K): void;
  entries(): IterableIterator<[K, V]>;
  size(): number;
  clear(): void;
}

/** Registers keyed state in `open`. Names are unique per operator. */
export interface KeyedStateContext {
  valueState<T>(name: string): ValueState<T>;
  mapState<K extends string | number, V>(name: string): MapState<K, V>;
}

/** What processElement sees about the current record. */
export interface ProcessContext<O> {
  /** The record's key (keyBy result, as a string). */
  readonly key: string;
  /** Event time of the record, ms, or NO_TIMESTAMP. */
  readonly timestamp: number;
  /** Current event-time watermark of this task, ms. */
  readonly watermark: number;
  /** Emits a record downstream (default timestamp: the input's). */
  emit(value: O, timestamp?: number): void;
}

/** A keyed stateful function (like Flink's KeyedProcessFunction, without timers). */
export interface KeyedProcessFunction<I, O> {
  open?(ctx: KeyedStateContext): void;
  processElement(value: I, ctx: ProcessContext<O>): void;
}

/** Incremental aggregation (Flink's AggregateFunction): accumulators must be plain data. */
export interface AggregateFunction<I, A, O> {
  createAccumulator(): A;
  add(accumulator: A, value: I): A;
  getResult(accumulator: A): O;
}

/** Output of a window aggregation. */
export interface WindowResult<O> {
  key: string;
  window: TimeWindow;
  value: O;
}

/** Options of a stateful operator. `uid` identifies its state in snapshots; set it for upgrades. */
export interface OperatorOptions {
  name?: string;
  uid?: string;
}

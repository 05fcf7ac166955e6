/**
 * The pipeline builder of the job API (the shape of Flink's DataStream API, linear only):
 *
 *   env.fromSource(src)            DataStream<T>
 *      .map / .filter / .flatMap   DataStream<O>       stateless, chained
 *      .keyBy(v => key)            KeyedStream<T>      shuffle by key group to the owning worker
 *      .reduce / .aggregate / .process                 keyed state, emits per record
 *      .window(tumbling(ms)).aggregate(...)            DataStream<WindowResult<O>>
 *      .sinkTo(sink)
 *
 * Each stream can be consumed once (no branching). The builder only records a JobPlan; the
 * runtime executes it on every worker.
 */
import { aggregateOperator, processOperator, reduceAggregate } from '../dataflow/keyed-operators.ts';
import type { JobPlan, StagePlan, StepSpec } from '../dataflow/plan.ts';
import { filterOperator, flatMapOperator, mapOperator } from '../dataflow/stateless.ts';
import { windowOperator } from '../dataflow/window-operator.ts';
import type { WindowSpec } from '../core/windows.ts';
import type {
  AggregateFunction,
  JobContext,
  KeyedProcessFunction,
  OperatorOptions,
  Sink,
  Source,
  WindowResult,
} from './types.ts';

/** A job: builds its pipeline on `env`. Export it as the module's default export. */
export type JobDefinition = (env: StreamEnvironment, ctx: JobContext) => void;

/** Identity helper that types a job definition. */
export function defineJob(def: JobDefinition): JobDefinition {
  return def;
}

/** The pipeline being built. */
export class StreamEnvironment {
  #source: JobPlan['source'] | undefined;
  #stages: StagePlan[] = [];
  #current: StepSpec[] = [];
  #done = false;
  #uids = new Set<string>();

  /**
   * Starts the pipeline at `source`. Exactly one source per job.
   * @throws Error on a second source
   */
  fromSource<T>(source: Source<T>, opts: OperatorOptions = {}): DataStream<T> {
    if (this.#source) throw new Error('a job has exactly one source; fromSource was called twice');
    const uid = this.claimUid(opts.uid ?? 'source');
    this.#source = { uid, source: source as Source<unknown> };
    return new DataStream<T>(this);
  }

  /** @internal Reserves an operator uid. @throws Error when it is already used */
  claimUid(uid: string): string {
    if (this.#uids.has(uid)) throw new Error(`operator uid ${JSON.stringify(uid)} is used twice`);
    this.#uids.add(uid);
    return uid;
  }

  /** @internal */
  get stageIndex(): number {
    return this.#stages.length;
  }

  /** @internal */
  get stepIndex(): number {
    return this.#current.length;
  }

  /** @internal Appends a step to the current stage. */
  addStep(step: StepSpec): void {
    if (this.#done) throw new Error('the pipeline already ends in a sink');
    this.#current.push(step);
  }

  /** @internal Closes the current stage with a shuffle or a sink. */
  closeStage(exit: StagePlan['exit']): void {
    if (this.#done) throw new Error('the pipeline already ends in a sink');
    this.#stages.push({ index: this.#stages.length, steps: this.#current, exit });
    this.#current = [];
    if (exit.kind === 'sink') this.#done = true;
  }

  /**
   * The finished plan.
   * @throws Error when the pipeline has no source or does not end in a sink
   */
  build(): JobPlan {
    if (!this.#source) throw new Error('the job defines no source (call env.fromSource)');
    if (!this.#done) throw new Error('the pipeline does not end in a sink (call .sinkTo)');
    return { source: this.#source, stages: this.#stages };
  }
}

/** A stream of records of type T. */
export class DataStream<T> {
  protected readonly env: StreamEnvironment;
  #consumed = false;

  /** @internal */
  constructor(env: StreamEnvironment) {
    this.env = env;
  }

  protected consume(): void {
    if (this.#consumed) throw new Error('a stream can be consumed once (branching is not supported)');
    this.#consumed = true;
  }

  /** Transforms every record. */
  map<O>(fn: (value: T) => O, opts: OperatorOptions = {}): DataStream<O> {
    this.consume();
    this.env.addStep({
      kind: 'stateless',
      name: opts.name ?? 'map',
      create: () => mapOperator(fn as (v: unknown) => unknown),
    });
    return new DataStream<O>(this.env);
  }

  /** Keeps records for which `fn` is true. */
  filter(fn: (value: T) => boolean, opts: OperatorOptions = {}): DataStream<T> {
    this.consume();
    this.env.addStep({
      kind: 'stateless',
      name: opts.name ?? 'filter',
      create: () => filterOperator(fn as (v: unknown) => boolean),
    });
    return new DataStream<T>(this.env);
  }

  /** Emits each element of `fn(record)`. */
  flatMap<O>(fn: (value: T) => Iterable<O>, opts: OperatorOptions = {}): DataStream<O> {
    this.consume();
    this.env.addStep({
      kind: 'stateless',
      name: opts.name ?? 'flatMap',
      create: () => flatMapOperator(fn as (v: unknown) => Iterable<unknown>),
    });
    return new DataStream<O>(this.env);
  }

  /**
   * Partitions the stream by key: records go to the worker owning the key's key group.
   * Numeric keys are converted with String().
   */
  keyBy(selector: (value: T) => string | number): KeyedStream<T> {
    this.consume();
    this.env.closeStage({ kind: 'shuffle', keySelector: selector as (v: unknown) => string | number });
    return new KeyedStream<T>(this.env);
  }

  /** Ends the pipeline in `sink`. */
  sinkTo(sink: Sink<T>, opts: OperatorOptions = {}): void {
    this.consume();
    this.env.closeStage({
      kind: 'sink',
      uid: this.env.claimUid(opts.uid ?? 'sink'),
      sink: sink as Sink<unknown>,
    });
  }
}

/** A stream partitioned by key; keyed operators keep state per key. */
export class KeyedStream<T> extends DataStream<T> {
  /** @internal */
  constructor(env: StreamEnvironment) {
    super(env);
  }

  private uid(kind: string, opts: OperatorOptions): string {
    return this.env.claimUid(opts.uid ?? `${kind}-${this.env.stageIndex}-${this.env.stepIndex}`);
  }

  /** Runs a keyed process function with its own state. */
  process<O>(fn: KeyedProcessFunction<T, O>, opts: OperatorOptions = {}): DataStream<O> {
    this.consume();
    const uid = this.uid('process', opts);
    this.env.addStep({
      kind: 'keyed',
      name: opts.name ?? 'process',
      uid,
      create: (rt) => processOperator(uid, fn as KeyedProcessFunction<unknown, unknown>, rt),
    });
    return new DataStream<O>(this.env);
  }

  /** Running aggregate per key; emits the current result after every record. */
  aggregate<A, O>(agg: AggregateFunction<T, A, O>, opts: OperatorOptions = {}): DataStream<O> {
    this.consume();
    const uid = this.uid('aggregate', opts);
    this.env.addStep({
      kind: 'keyed',
      name: opts.name ?? 'aggregate',
      uid,
      create: (rt) => aggregateOperator(uid, agg as AggregateFunction<unknown, unknown, unknown>, rt),
    });
    return new DataStream<O>(this.env);
  }

  /** Running reduce per key; emits the reduced value after every record. */
  reduce(fn: (a: T, b: T) => T, opts: OperatorOptions = {}): DataStream<T> {
    return this.aggregate(reduceAggregate(fn), {
      name: 'reduce',
      ...opts,
      uid: opts.uid ?? this.uidFor('reduce'),
    });
  }

  private uidFor(kind: string): string {
    return `${kind}-${this.env.stageIndex}-${this.env.stepIndex}`;
  }

  /** Groups records of each key into event-time windows. */
  window(spec: WindowSpec): WindowedStream<T> {
    this.consume();
    return new WindowedStream<T>(this.env, spec);
  }
}

/** A keyed stream cut into windows; finish it with aggregate or reduce. */
export class WindowedStream<T> {
  readonly #env: StreamEnvironment;
  readonly #spec: WindowSpec;
  #used = false;

  /** @internal */
  constructor(env: StreamEnvironment, spec: WindowSpec) {
    this.#env = env;
    this.#spec = spec;
  }

  /** Aggregates each (key, window) incrementally; emits one WindowResult when the window fires. */
  aggregate<A, O>(agg: AggregateFunction<T, A, O>, opts: OperatorOptions = {}): DataStream<WindowResult<O>> {
    if (this.#used) throw new Error('a windowed stream can be aggregated once');
    this.#used = true;
    const uid = this.#env.claimUid(opts.uid ?? `window-${this.#env.stageIndex}-${this.#env.stepIndex}`);
    const spec = this.#spec;
    this.#env.addStep({
      kind: 'keyed',
      name: opts.name ?? `window(${spec.kind} ${spec.sizeMs}ms)`,
      uid,
      create: (rt) => windowOperator(uid, spec, agg as AggregateFunction<unknown, unknown, unknown>, rt),
    });
    return new DataStream<WindowResult<O>>(this.#env);
  }

  /** Reduces each (key, window); emits one WindowResult when the window fires. */
  reduce(fn: (a: T, b: T) => T, opts: OperatorOptions = {}): DataStream<WindowResult<T>> {
    return this.aggregate(reduceAggregate(fn), { name: 'window-reduce', ...opts });
  }
}

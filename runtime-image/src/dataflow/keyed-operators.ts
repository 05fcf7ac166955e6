/**
 * Keyed stateful operators: a user KeyedProcessFunction, and running aggregations (reduce,
 * aggregate) that keep one accumulator per key in value state and emit the updated result on
 * every record (a changelog of per-key results).
 */
import type {
  AggregateFunction,
  KeyedProcessFunction,
  KeyedStateContext,
  ProcessContext,
} from '../api/types.ts';
import type { ChainOperator, Emit, KeyedRuntime } from './operator.ts';

/** Runs a user KeyedProcessFunction; its state lives under `uid`. */
export function processOperator(
  uid: string,
  fn: KeyedProcessFunction<unknown, unknown>,
  rt: KeyedRuntime,
): ChainOperator {
  const stateCtx: KeyedStateContext = {
    valueState: (name) => rt.backend.valueState(uid, name),
    mapState: (name) => rt.backend.mapState(uid, name),
  };
  fn.open?.(stateCtx);
  let out: Emit = () => undefined;
  let ts = 0;
  const ctx: ProcessContext<unknown> = {
    get key() {
      return rt.backend.currentKey;
    },
    get timestamp() {
      return ts;
    },
    get watermark() {
      return rt.watermark();
    },
    emit: (value, timestamp) => out(value, timestamp ?? ts),
  };
  return {
    process(value, timestamp, emit) {
      out = emit;
      ts = timestamp;
      fn.processElement(value, ctx);
    },
  };
}

/**
 * Running aggregation: accumulator per key in value state `acc` of `uid`; emits
 * `getResult(acc)` after every record, with the record's timestamp.
 */
export function aggregateOperator(
  uid: string,
  agg: AggregateFunction<unknown, unknown, unknown>,
  rt: KeyedRuntime,
): ChainOperator {
  const state = rt.backend.valueState<unknown>(uid, 'acc');
  return {
    process(value, ts, out) {
      const prev = state.value();
      const acc = agg.add(prev === undefined ? agg.createAccumulator() : prev, value);
      state.update(acc);
      out(agg.getResult(acc), ts);
    },
  };
}

/** An AggregateFunction from a reduce function: the first value is the initial accumulator. */
export function reduceAggregate<T>(fn: (a: T, b: T) => T): AggregateFunction<T, { v?: T }, T> {
  return {
    createAccumulator: () => ({}),
    add: (acc, value) => ({ v: 'v' in acc ? fn(acc.v as T, value) : value }),
    getResult: (acc) => acc.v as T,
  };
}

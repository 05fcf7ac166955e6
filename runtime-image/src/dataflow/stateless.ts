/** Stateless chain operators: map, filter, flatMap. Each keeps the input's event time. */
import type { ChainOperator } from './operator.ts';

/** Applies `fn` to every record. */
export function mapOperator(fn: (value: unknown) => unknown): ChainOperator {
  return { process: (v, ts, out) => out(fn(v), ts) };
}

/** Keeps records for which `fn` returns true. */
export function filterOperator(fn: (value: unknown) => boolean): ChainOperator {
  return {
    process: (v, ts, out) => {
      if (fn(v)) out(v, ts);
    },
  };
}

/** Emits every element of the iterable `fn` returns. */
export function flatMapOperator(fn: (value: unknown) => Iterable<unknown>): ChainOperator {
  return {
    process: (v, ts, out) => {
      for (const o of fn(v)) out(o, ts);
    },
  };
}

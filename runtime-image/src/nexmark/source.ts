/** The Nexmark event stream as a generator source (deterministic, partitioned, resumable). */
import type { Source } from '../api/types.ts';
import { generatorSource } from '../sources/generator-source.ts';
import { eventTime, nexmarkConfig, nexmarkEvent, type NexmarkConfig } from './generator.ts';
import type { NexmarkEvent } from './model.ts';

export interface NexmarkSourceOptions extends Partial<NexmarkConfig> {
  /** Total events (default: unbounded). */
  events?: number;
  /** Splits (default 4). */
  partitions?: number;
  /** Wall-clock events/s over all partitions (default unlimited). */
  rate?: number;
}

/** Nexmark events with event time = the event's dateTime (ms). */
export function nexmarkSource(opts: NexmarkSourceOptions = {}): Source<NexmarkEvent> {
  const { events, partitions, rate, ...gen } = opts;
  const c = nexmarkConfig(gen);
  return generatorSource<NexmarkEvent>({
    count: events ?? Infinity,
    partitions: partitions ?? 4,
    ...(rate ? { rate } : {}),
    generate: (n) => ({ value: nexmarkEvent(c, n), timestamp: eventTime(c, n) }),
  });
}

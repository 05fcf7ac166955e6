/**
 * The config shared by the built-in Nexmark jobs (spec.job.config):
 *
 *   { "nexmark": { seed, eventsPerSecond, baseTime, ... (nexmark/generator.ts) },
 *     "events"?: n (default unbounded), "partitions"?: 4, "rate"?: events/s, "output": io-config.ts }
 */
import type { JsonValue } from '../api/types.ts';
import type { NexmarkConfig } from '../nexmark/generator.ts';
import type { NexmarkSourceOptions } from '../nexmark/source.ts';
import { num, obj } from './io-config.ts';

/** The Nexmark source part of a job config. @throws JobConfigError on a malformed field */
export function nexmarkOptions(config: Record<string, JsonValue>): NexmarkSourceOptions {
  const rate = num(config, 'rate', 'config');
  const events = num(config, 'events', 'config');
  return {
    ...(obj(config.nexmark, 'nexmark') as Partial<NexmarkConfig>),
    partitions: num(config, 'partitions', 'config') ?? 4,
    ...(events !== undefined ? { events } : {}),
    ...(rate ? { rate } : {}),
  };
}

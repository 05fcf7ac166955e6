/**
 * The `input` / `output` sections shared by the built-in jobs' config (spec.job.config):
 *
 *   output: { "s3": { "prefix": "out/", "bucket"?: "...", "rollBytes"?: n } } | { "log": {} } | { "discard": {} }
 *         | { "kafka": { "bootstrapServers": [...], "topic": "...", "keyField"?, "delivery"?,
 *                        "transactionalIdPrefix"?, "transactionTimeoutMs"?,
 *                        "format"?: "jsonl" (default, records as JSON) | "text" (String(record)) } }
 */
import type { JsonValue, Sink } from '../api/types.ts';
import { discardSink } from '../sinks/discard-sink.ts';
import { kafkaSink, type KafkaSinkOptions } from '../sinks/kafka-sink.ts';
import { logSink } from '../sinks/log-sink.ts';
import { s3Sink } from '../sinks/two-phase-sink.ts';

/** A job config section is missing or invalid. */
export class JobConfigError extends Error {
  override name = 'JobConfigError';
}

/** Reads an object-valued field. */
export function obj(v: JsonValue | undefined, what: string): Record<string, JsonValue> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v))
    throw new JobConfigError(`job config ${what} must be an object`);
  return v;
}

/** Reads an optional number field. */
export function num(o: Record<string, JsonValue>, key: string, what: string): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new JobConfigError(`job config ${what}.${key} must be a number`);
  return v;
}

/** Reads an optional string field. */
export function str(o: Record<string, JsonValue>, key: string, what: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new JobConfigError(`job config ${what}.${key} must be a string`);
  return v;
}

/** The sink described by `output`. @throws JobConfigError */
export function sinkFromConfig<T>(output: JsonValue | undefined): Sink<T> {
  const o = obj(output, 'output');
  if (o.s3 !== undefined) {
    const s3 = obj(o.s3, 'output.s3');
    const prefix = str(s3, 'prefix', 'output.s3');
    if (!prefix) throw new JobConfigError('job config output.s3.prefix is required');
    const bucket = str(s3, 'bucket', 'output.s3');
    const rollBytes = num(s3, 'rollBytes', 'output.s3');
    return s3Sink<T>({ prefix, ...(bucket ? { bucket } : {}), ...(rollBytes ? { rollBytes } : {}) });
  }
  if (o.log !== undefined) return logSink<T>();
  if (o.discard !== undefined) return discardSink<T>();
  if (o.kafka !== undefined) {
    const k = obj(o.kafka, 'output.kafka');
    const keyField = str(k, 'keyField', 'output.kafka');
    const format = str(k, 'format', 'output.kafka') ?? 'jsonl';
    if (format !== 'jsonl' && format !== 'text')
      throw new JobConfigError('job config output.kafka.format must be "jsonl" or "text"');
    const { keyField: _unused, format: _format, ...rest } = k;
    void _unused;
    void _format;
    // kafkaSink validates the other fields and names the bad one (KafkaSinkConfigError).
    return kafkaSink<T>({
      ...(rest as unknown as KafkaSinkOptions<T>),
      format,
      ...(keyField ? { key: (v: T) => String((v as Record<string, unknown>)[keyField]) } : {}),
    });
  }
  throw new JobConfigError('job config output must have "s3", "log", "discard" or "kafka"');
}

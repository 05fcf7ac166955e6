/**
 * Retrying object-storage calls across transient failures (docs/runtime.md "Storage retries").
 * A MinIO or S3 endpoint that restarts, sheds load (503 SlowDown) or drops a connection would
 * otherwise fail a checkpoint, or the worker, at once. A call is retried only when its error is
 * transient ({@link isTransientStorageError}); each retry waits an exponential delay with full
 * jitter — a uniform random delay in [0, min(cap, base · 2^n)), the "Full Jitter" of Marc
 * Brooker, "Exponential Backoff And Jitter", AWS Architecture Blog, 2015 — and no retry starts
 * after the caller's deadline. The deadline bounds the retries, not a call that hangs.
 */

/** First backoff ceiling, ms (retry 0 waits up to this long). */
export const STORAGE_RETRY_BASE_MS = 100;
/** Largest backoff ceiling, ms. */
export const STORAGE_RETRY_MAX_MS = 4000;
/**
 * How long a storage call is retried when the caller has no deadline of its own (restore, sink
 * uploads and commits, source listing and reads), ms. A snapshot upload is retried until its
 * checkpoint's timeout instead (snapshot-writer.ts).
 */
export const DEFAULT_STORAGE_RETRY_MS = 60_000;

/** Network error codes of Node (libuv, undici, streams) that a later attempt may not meet. */
const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * S3 error codes of HTTP 5xx answers (AWS S3 API reference "Error responses"; MinIO's quorum and
 * start-up codes). The `minio` client names a 503 without a body `SlowDown`.
 */
const TRANSIENT_S3_CODES = new Set([
  'InternalError',
  'ServiceUnavailable',
  'SlowDown',
  'SlowDownRead',
  'SlowDownWrite',
  'RequestTimeout',
  'XMinioServerNotInitialized',
  'XMinioReadQuorum',
  'XMinioWriteQuorum',
]);

/**
 * Whether `err` (as thrown by the `minio` client or a Node socket) is worth another attempt: a
 * connection reset, refused or timed out, a DNS lookup to retry, a body cut short, or an HTTP
 * 5xx answer (InternalError, ServiceUnavailable, 503 SlowDown, …). Never a 4xx — AccessDenied
 * (403), NoSuchKey/NotFound (404), PreconditionFailed (412), InvalidAccessKeyId, NoSuchBucket —
 * nor an error without a code: those fail the same way again. The code is `err.code`, or that
 * of `err.cause` for an error that wraps the client's.
 */
export function isTransientStorageError(err: unknown): boolean {
  const e = err as { code?: unknown; cause?: unknown } | undefined;
  // A wrapper that names the object (readMetadata's "cannot read s3://…") carries it as cause.
  const code = e?.code ?? (e?.cause as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'string') return false;
  return TRANSIENT_NETWORK_CODES.has(code) || TRANSIENT_S3_CODES.has(code);
}

/**
 * Delay before retry `n` (0-based), ms: `random · min(STORAGE_RETRY_MAX_MS, STORAGE_RETRY_BASE_MS · 2^n)`
 * (full jitter).
 * @param random a number in [0, 1), Math.random by default
 */
export function storageRetryDelayMs(n: number, random: number = Math.random()): number {
  return Math.floor(random * Math.min(STORAGE_RETRY_MAX_MS, STORAGE_RETRY_BASE_MS * 2 ** n));
}

/** The failure of a call that {@link withStorageRetry} gave up on. */
export class StorageRetryError extends Error {
  /** The last attempt's error. */
  readonly last: unknown;
  /** Attempts made, ≥ 1. */
  readonly attempts: number;
  /** Whether it stopped because the deadline passed (otherwise: the error was not transient). */
  readonly deadlineReached: boolean;

  constructor(last: unknown, attempts: number, deadlineReached: boolean) {
    const why = deadlineReached ? 'retry deadline passed' : 'not a transient error';
    super(`${(last as Error)?.message ?? String(last)} (${attempts} attempt(s); ${why})`, { cause: last });
    this.name = 'StorageRetryError';
    this.last = last;
    this.attempts = attempts;
    this.deadlineReached = deadlineReached;
  }
}

/** Clock, timer and randomness of {@link withStorageRetry} (injected by unit tests). */
export interface RetryClock {
  /** Epoch ms. */
  now(): number;
  sleep(ms: number): Promise<void>;
  /** In [0, 1). */
  random(): number;
}

const realClock: RetryClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  random: () => Math.random(),
};

/** How long {@link withStorageRetry} keeps trying. */
export interface StorageRetryOptions {
  /** Epoch ms after which no new attempt starts; a delay never runs past it. */
  deadlineMs: number;
  /** Called before each retry with the failure and the delay (for a log line). */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  clock?: RetryClock;
}

/**
 * Calls `call` until it resolves, retrying transient errors after {@link storageRetryDelayMs}
 * until `deadlineMs`.
 * @throws StorageRetryError with the last error and the number of attempts, when an error is not
 *   transient or the deadline passed
 */
export async function withStorageRetry<T>(call: () => Promise<T>, o: StorageRetryOptions): Promise<T> {
  const clock = o.clock ?? realClock;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (!isTransientStorageError(err)) throw new StorageRetryError(err, attempt, false);
      const left = o.deadlineMs - clock.now();
      if (left <= 0) throw new StorageRetryError(err, attempt, true);
      const delay = Math.min(storageRetryDelayMs(attempt - 1, clock.random()), left);
      o.onRetry?.(err, attempt, delay);
      await clock.sleep(delay);
    }
  }
}

/**
 * {@link withStorageRetry} failing with the last error itself, so that callers and the worker's
 * fatal line keep its class: unchanged when the first attempt failed for good, its message
 * ending in "(after N attempts, retry deadline passed)" or "(after N attempts)" otherwise.
 * @throws the last attempt's error
 */
export async function retryStorageCall<T>(call: () => Promise<T>, o: StorageRetryOptions): Promise<T> {
  try {
    return await withStorageRetry(call, o);
  } catch (err) {
    const r = err as StorageRetryError;
    if (r.attempts > 1 && r.last instanceof Error) {
      r.last.message += ` (after ${r.attempts} attempts${r.deadlineReached ? ', retry deadline passed' : ''})`;
    }
    throw r.last;
  }
}

/**
 * The operator's S3 client for a job's storage, with every call bounded (docs/operator.md
 * "Timeouts"). A job's storage endpoint is chosen by whoever writes the StreamJob: one that
 * accepts connections and never answers must not hold a reconcile worker — and with it every
 * other tenant's checkpoints — for longer than {@link StorageClientOptions.timeoutMs}. Two
 * bounds apply to every call:
 *  - silence: a socket without traffic for `timeoutMs` is destroyed (the `minio` client's
 *    transport), which ends the call, reads of a response body included;
 *  - deadline: the call is abandoned with an error after `timeoutMs`, or as soon as the
 *    reconcile's signal aborts (its deadline or operator shutdown).
 * The `minio` package is imported on the first call, not at start-up: an operator without jobs
 * never loads it (docs/operator.md "Memory at idle"); that import counts against the first
 * call's deadline.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { Client as MinioClient } from 'minio';
import type { MetadataObjectClient } from '@sluice/api/metadata-store.ts';
import { sharedEndpointBreaker, type EndpointBreaker } from './endpoint-breaker.ts';

/** S3 access keys for a job's storage. */
export interface StorageCredentials {
  accessKey: string;
  secretKey: string;
  /** STS session token of minted per-job credentials (docs/security.md); unset for plain keys. */
  sessionToken?: string;
}

/** Options of {@link StorageClient}. */
export interface StorageClientOptions {
  /** http(s)://host[:port] */
  endpoint: string;
  credentials: StorageCredentials;
  /** Deadline of one call and longest silence on its connection, ms. */
  timeoutMs: number;
  /** Aborts every call in flight (the reconcile's deadline or shutdown). */
  signal: AbortSignal;
  /** Per-endpoint circuit breaker (endpoint-breaker.ts); default: the process-wide one. */
  breaker?: EndpointBreaker;
  /**
   * Called when storage refuses the credentials (an S3 error code of {@link CREDENTIALS_REFUSED}),
   * so the caller can read them again (streamjob/job-credentials.ts `forget`).
   */
  onCredentialsRefused?(): void;
}

/** S3 error codes that mean "these keys are wrong, expired or revoked", not "not allowed here". */
export const CREDENTIALS_REFUSED = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'InvalidTokenId',
  'InvalidClientTokenId',
]);

type Transport = Pick<typeof http, 'request'>;

/** `base` whose requests are destroyed after `idleMs` without traffic. */
function silenceBoundTransport(
  base: typeof http | typeof https,
  idleMs: number,
  endpoint: string,
): Transport {
  return {
    request: ((...args: Parameters<typeof http.request>) => {
      const req = (base.request as (...a: Parameters<typeof http.request>) => http.ClientRequest)(...args);
      req.setTimeout(idleMs, () =>
        req.destroy(new Error(`S3 endpoint ${endpoint} sent nothing for ${idleMs} ms`)),
      );
      return req;
    }) as typeof http.request,
  };
}

/**
 * Resolves or rejects like `op`, but rejects once `signal` aborts; a late outcome of `op` is
 * dropped (never an unhandled rejection).
 */
export function abortable<T>(op: Promise<T>, signal: AbortSignal, what: string): Promise<T> {
  op.catch(() => undefined);
  if (signal.aborted) return Promise.reject(new Error(`${what} abandoned: ${reasonOf(signal)}`));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error(`${what} abandoned: ${reasonOf(signal)}`));
    signal.addEventListener('abort', onAbort, { once: true });
    op.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

function reasonOf(signal: AbortSignal): string {
  const r: unknown = signal.reason;
  return r instanceof Error ? r.message : String(r ?? 'aborted');
}

/** See the module comment. Implements what api/src/metadata-store.ts needs. */
export class StorageClient implements MetadataObjectClient {
  #client: MinioClient | undefined;
  readonly #o: StorageClientOptions;

  /** @throws TypeError when `o.endpoint` is not a URL */
  constructor(o: StorageClientOptions) {
    this.#o = o;
    new URL(o.endpoint);
  }

  /** The `minio` client, built on first use (see the module comment). */
  async #minio(): Promise<MinioClient> {
    if (this.#client) return this.#client;
    const { Client } = await import('minio');
    const o = this.#o;
    const url = new URL(o.endpoint);
    const useSSL = url.protocol === 'https:';
    this.#client ??= new Client({
      endPoint: url.hostname,
      port: url.port ? Number(url.port) : useSSL ? 443 : 80,
      useSSL,
      accessKey: o.credentials.accessKey,
      secretKey: o.credentials.secretKey,
      ...(o.credentials.sessionToken ? { sessionToken: o.credentials.sessionToken } : {}),
      transport: silenceBoundTransport(useSSL ? https : http, o.timeoutMs, o.endpoint),
    });
    return this.#client;
  }

  /**
   * Runs one call under the deadline and the reconcile's signal, through the endpoint's circuit
   * breaker: refused at once (EndpointUnavailableError) while the endpoint is cooling down after
   * a call that ran into its deadline.
   */
  #bounded<T>(what: string, call: () => Promise<T>): Promise<T> {
    const ms = this.#o.timeoutMs;
    const full = `${what} on ${this.#o.endpoint}`;
    let report: ReturnType<EndpointBreaker['admit']>;
    try {
      report = (this.#o.breaker ?? sharedEndpointBreaker).admit(this.#o.endpoint, full);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new Error(`no answer within ${ms} ms`)), ms);
    timer.unref();
    const signal = AbortSignal.any([this.#o.signal, deadline.signal]);
    if (signal.aborted) {
      clearTimeout(timer);
      report('abandoned');
      return Promise.reject(new Error(`${full} abandoned: ${reasonOf(signal)}`));
    }
    return abortable(call(), signal, full).then(
      (v) => {
        clearTimeout(timer);
        report('answered');
        return v;
      },
      (err: unknown) => {
        clearTimeout(timer);
        // Silence on the socket (the transport's bound) counts like the deadline.
        const silent = err instanceof Error && /sent nothing for/.test(err.message);
        report(
          deadline.signal.aborted || silent ? 'timeout' : this.#o.signal.aborted ? 'abandoned' : 'answered',
        );
        if (CREDENTIALS_REFUSED.has((err as { code?: string }).code ?? '')) this.#o.onCredentialsRefused?.();
        throw err;
      },
    );
  }

  putObject(bucket: string, name: string, data: Buffer, size: number, meta: Record<string, string>) {
    return this.#bounded(`PUT s3://${bucket}/${name}`, async () =>
      (await this.#minio()).putObject(bucket, name, data, size, meta),
    );
  }

  /** The whole object, read within the deadline (as a one-chunk iterable). */
  getObject(bucket: string, name: string): Promise<AsyncIterable<unknown>> {
    return this.#bounded(`GET s3://${bucket}/${name}`, async () => {
      const chunks: Buffer[] = [];
      const client = await this.#minio();
      for await (const c of await client.getObject(bucket, name)) chunks.push(Buffer.from(c as Uint8Array));
      return [Buffer.concat(chunks)] as unknown as AsyncIterable<unknown>;
    });
  }

  /** Names of every object under `prefix`. */
  listNames(bucket: string, prefix: string): Promise<string[]> {
    return this.#bounded(`LIST s3://${bucket}/${prefix}`, async () => {
      const names: string[] = [];
      const client = await this.#minio();
      for await (const o of client.listObjectsV2(bucket, prefix, true)) {
        if ((o as { name?: string }).name) names.push((o as { name: string }).name);
      }
      return names;
    });
  }

  /** Name → size in bytes of every object under `prefix`. */
  listSizes(bucket: string, prefix: string): Promise<Map<string, number>> {
    return this.#bounded(`LIST s3://${bucket}/${prefix}`, async () => {
      const sizes = new Map<string, number>();
      const client = await this.#minio();
      for await (const o of client.listObjectsV2(bucket, prefix, true)) {
        const item = o as { name?: string; size?: number };
        if (item.name) sizes.set(item.name, item.size ?? 0);
      }
      return sizes;
    });
  }

  removeObjects(bucket: string, names: string[]): Promise<void> {
    return this.#bounded(`DELETE ${names.length} object(s) in s3://${bucket}`, async () => {
      await (await this.#minio()).removeObjects(bucket, names);
    });
  }

  /**
   * Deletes every object under `prefix` that `select` keeps (default: all). One LIST and one
   * multi-object DELETE, each within the deadline; deleting again after a failure is harmless.
   * @returns the number of objects deleted
   * @throws the call's error (nothing or part deleted)
   */
  async deleteUnder(bucket: string, prefix: string, select?: (name: string) => boolean): Promise<number> {
    const names = (await this.listNames(bucket, prefix)).filter((n) => !select || select(n));
    if (names.length > 0) await this.removeObjects(bucket, names);
    return names.length;
  }
}

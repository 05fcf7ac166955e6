/**
 * The object-storage operations the runtime needs, on one bucket, over the `minio` client
 * (S3 API). Every error names the object as `s3://<bucket>/<key>` so that logs and status
 * conditions say which object failed. Every call is retried across transient failures
 * (storage-retry.ts; docs/runtime.md "Storage retries") until its deadline: the store's
 * `retryMs` from the call's start, or the caller's `deadlineMs`.
 */
import { Client as MinioClient, type ClientOptions } from 'minio';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DEFAULT_STORAGE_RETRY_MS, StorageRetryError, withStorageRetry } from './storage-retry.ts';
import { FileCredentialProvider } from './credential-files.ts';

/**
 * Part size of multipart uploads, bytes (8 MiB; S3's minimum is 5 MiB). The `minio` client
 * (8.0.7, internal/client.mjs putObject/uploadStream) reads an object of at most one part into
 * one Buffer and a larger stream through a chunker of part-sized Buffers, all outside the V8 heap
 * limit. Streaming a 600 MiB file took +260 MiB of RSS with the client's default 64 MiB parts and
 * +62–74 MiB with 8 MiB parts, 10–20 % slower (bench/results/ab/partitioned-index-filters/
 * upload-part-memory.txt); a RocksDB worker's upload of a large SST file must fit beside its state
 * (docs/state.md "Memory"). The client grows the part for objects over 10 000 parts (80 GiB).
 */
export const UPLOAD_PART_BYTES = 8 * 1024 * 1024;

/** Connection settings (from the SLUICE_STORAGE_* environment). */
export interface ObjectStoreConfig {
  /** URL, e.g. `http://127.0.0.1:9000` or `https://s3.eu-west-1.amazonaws.com`. */
  endpoint: string;
  bucket: string;
  accessKey: string;
  secretKey: string;
  /** STS session token of temporary credentials (sent as X-Amz-Security-Token); unset for plain keys. */
  sessionToken?: string;
  /**
   * Mounted credentials Secret directory: the keys are re-read from its files when they change
   * (credential-files.ts); the fields above are used until then.
   */
  credentialsDir?: string;
  /** Region for signing; MinIO accepts the default. */
  region?: string;
  /** How long a call is retried across transient errors when it has no deadline of its own, ms (default 60 s). */
  retryMs?: number;
  /** Told about every retry (for a log line). */
  onRetry?: (r: StorageRetryEvent) => void;
}

/** A failed attempt that will be retried. */
export interface StorageRetryEvent {
  /** e.g. `PUT s3://bucket/key` */
  what: string;
  /** The attempt that failed, 1-based. */
  attempt: number;
  /** Wait before the next attempt, ms. */
  delayMs: number;
  error: unknown;
}

/** Per-call retry bound. */
export interface CallOptions {
  /** Epoch ms after which the call is not retried any more (default: now + the store's retryMs). */
  deadlineMs?: number;
}

/** One listed object. */
export interface ObjectInfo {
  key: string;
  /** Bytes. */
  size: number;
}

/**
 * An object-store failure, naming the object; after retries (a {@link StorageRetryError} as
 * `cause`) the message says how many attempts were made. `code` is the last error's S3 or
 * network code.
 */
export class ObjectStoreError extends Error {
  readonly object: string;
  readonly code: string | undefined;
  /** Attempts made (1 when the first error was not transient). */
  readonly attempts: number;
  constructor(op: string, object: string, cause: unknown) {
    const retried = cause instanceof StorageRetryError ? cause : undefined;
    const last = retried ? retried.last : cause;
    const code = (last as { code?: string } | undefined)?.code;
    const tries =
      retried && retried.attempts > 1
        ? ` after ${retried.attempts} attempts${retried.deadlineReached ? ' (retry deadline passed)' : ''}`
        : '';
    super(
      `${op} ${object} failed${tries}: ${code ? `${code}: ` : ''}${(last as Error)?.message ?? String(last)}`,
      { cause: last },
    );
    this.name = 'ObjectStoreError';
    this.object = object;
    this.code = code;
    this.attempts = retried?.attempts ?? 1;
  }
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Operations on one bucket. */
export class ObjectStore {
  readonly bucket: string;
  readonly client: MinioClient;
  readonly #retryMs: number;
  readonly #onRetry: ((r: StorageRetryEvent) => void) | undefined;

  constructor(
    client: MinioClient,
    bucket: string,
    retry: { retryMs?: number; onRetry?: (r: StorageRetryEvent) => void } = {},
  ) {
    this.client = client;
    this.bucket = bucket;
    this.#retryMs = retry.retryMs ?? DEFAULT_STORAGE_RETRY_MS;
    this.#onRetry = retry.onRetry;
  }

  /** `call` retried across transient errors until the deadline (see the module comment). */
  #retried<T>(what: string, call: () => Promise<T>, o: CallOptions = {}): Promise<T> {
    return withStorageRetry(call, {
      deadlineMs: o.deadlineMs ?? Date.now() + this.#retryMs,
      onRetry: (error, attempt, delayMs) => this.#onRetry?.({ what, attempt, delayMs, error }),
    });
  }

  /**
   * A store from connection settings.
   * @throws Error when the endpoint is not a valid http(s) URL.
   */
  static fromConfig(c: ObjectStoreConfig): ObjectStore {
    let url: URL;
    try {
      url = new URL(c.endpoint);
    } catch (err) {
      throw new Error(
        `storage endpoint ${JSON.stringify(c.endpoint)} is not a URL (e.g. http://minio:9000)`,
        {
          cause: err,
        },
      );
    }
    const useSSL = url.protocol === 'https:';
    const port = url.port ? Number(url.port) : useSSL ? 443 : 80;
    const client = new MinioClient({
      endPoint: url.hostname,
      port,
      useSSL,
      accessKey: c.accessKey,
      secretKey: c.secretKey,
      ...(c.sessionToken ? { sessionToken: c.sessionToken } : {}),
      ...(c.credentialsDir
        ? {
            // The ESM build's provider class; the package's typings name the CommonJS one.
            credentialsProvider: new FileCredentialProvider(c.credentialsDir, {
              accessKey: c.accessKey,
              secretKey: c.secretKey,
              ...(c.sessionToken ? { sessionToken: c.sessionToken } : {}),
            }) as unknown as ClientOptions['credentialsProvider'],
          }
        : {}),
      ...(c.region ? { region: c.region } : {}),
      partSize: UPLOAD_PART_BYTES,
    });
    return new ObjectStore(client, c.bucket, {
      ...(c.retryMs !== undefined ? { retryMs: c.retryMs } : {}),
      ...(c.onRetry ? { onRetry: c.onRetry } : {}),
    });
  }

  /** `s3://bucket/key`, for messages. */
  url(key: string): string {
    return `s3://${this.bucket}/${key}`;
  }

  /**
   * Writes an object (single PUT up to the client's part size, multipart above it — the
   * `minio` client decides).
   * @param headers e.g. `{ 'If-None-Match': '*' }` or Content-Type
   * @throws ObjectStoreError naming the object
   */
  async put(
    key: string,
    body: Buffer,
    headers: Record<string, string> = {},
    o: CallOptions = {},
  ): Promise<void> {
    try {
      await this.#retried(
        `PUT ${this.url(key)}`,
        () => this.client.putObject(this.bucket, key, body, body.length, headers),
        o,
      );
    } catch (err) {
      throw new ObjectStoreError('PUT', this.url(key), err);
    }
  }

  /**
   * Uploads local file `path` (`bytes` long) as `key`, streamed from disk (never whole in
   * memory); each retry reads the file again. @throws ObjectStoreError naming the object
   */
  async putFile(key: string, path: string, bytes: number, o: CallOptions = {}): Promise<void> {
    try {
      await this.#retried(
        `PUT ${this.url(key)}`,
        () =>
          this.client.putObject(this.bucket, key, createReadStream(path), bytes, {
            'Content-Type': 'application/octet-stream',
          }),
        o,
      );
    } catch (err) {
      throw new ObjectStoreError('PUT', this.url(key), err);
    }
  }

  /**
   * Downloads object `key` into local file `path` (created or truncated), streamed, and returns
   * its size in bytes and sha256 (lowercase hex) computed on the way. A failed transfer is
   * retried from the start. @throws ObjectStoreError (code NoSuchKey when absent)
   */
  async getToFile(
    key: string,
    path: string,
    o: CallOptions = {},
  ): Promise<{ bytes: number; sha256: string }> {
    try {
      return await this.#retried(
        `GET ${this.url(key)}`,
        async () => {
          const hash = createHash('sha256');
          let bytes = 0;
          const source = await this.client.getObject(this.bucket, key);
          source.on('data', (c: Buffer) => {
            hash.update(c);
            bytes += c.length;
          });
          await pipeline(source, createWriteStream(path));
          return { bytes, sha256: hash.digest('hex') };
        },
        o,
      );
    } catch (err) {
      throw new ObjectStoreError('GET', this.url(key), err);
    }
  }

  /** Reads a whole object. @throws ObjectStoreError (code NoSuchKey when absent). */
  async get(key: string): Promise<Buffer> {
    try {
      return await this.#retried(`GET ${this.url(key)}`, async () =>
        readAll(await this.client.getObject(this.bucket, key)),
      );
    } catch (err) {
      throw new ObjectStoreError('GET', this.url(key), err);
    }
  }

  /** Reads `length` bytes at `offset` (a ranged GET). @throws ObjectStoreError */
  async getRange(key: string, offset: number, length: number): Promise<Buffer> {
    if (length === 0) return Buffer.alloc(0);
    try {
      return await this.#retried(`GET ${this.url(key)}`, async () =>
        readAll(await this.client.getPartialObject(this.bucket, key, offset, length)),
      );
    } catch (err) {
      throw new ObjectStoreError(`GET (bytes ${offset}+${length})`, this.url(key), err);
    }
  }

  /**
   * A stream of the object from byte `offset` to its end. Opening it is retried; a read error of
   * the stream is the caller's (s3-source.ts reopens at its position). @throws ObjectStoreError
   */
  async stream(key: string, offset: number): Promise<Readable> {
    try {
      return await this.#retried(`GET ${this.url(key)}`, () =>
        offset > 0
          ? this.client.getPartialObject(this.bucket, key, offset)
          : this.client.getObject(this.bucket, key),
      );
    } catch (err) {
      throw new ObjectStoreError(`GET (from byte ${offset})`, this.url(key), err);
    }
  }

  /** Size in bytes, or undefined when the object does not exist. @throws ObjectStoreError on other errors */
  async size(key: string): Promise<number | undefined> {
    try {
      return (await this.#retried(`HEAD ${this.url(key)}`, () => this.client.statObject(this.bucket, key)))
        .size;
    } catch (err) {
      const code = ((err instanceof StorageRetryError ? err.last : err) as { code?: string }).code;
      if (code === 'NotFound' || code === 'NoSuchKey') return undefined;
      throw new ObjectStoreError('HEAD', this.url(key), err);
    }
  }

  /** All objects under `prefix` (recursive), in key order. @throws ObjectStoreError */
  async list(prefix: string): Promise<ObjectInfo[]> {
    let out: ObjectInfo[];
    try {
      // A listing that fails part-way is started again from the beginning.
      out = await this.#retried(`LIST ${this.url(prefix)}`, async () => {
        const found: ObjectInfo[] = [];
        for await (const o of this.client.listObjectsV2(this.bucket, prefix, true)) {
          const item = o as { name?: string; size?: number };
          if (item.name) found.push({ key: item.name, size: item.size ?? 0 });
        }
        return found;
      });
    } catch (err) {
      throw new ObjectStoreError('LIST', this.url(prefix), err);
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** Server-side copy `from` → `to` within the bucket. @throws ObjectStoreError naming the source */
  async copy(from: string, to: string): Promise<void> {
    try {
      await this.#retried(`COPY ${this.url(from)}`, () =>
        this.client.copyObject(this.bucket, to, `/${this.bucket}/${from}`),
      );
    } catch (err) {
      throw new ObjectStoreError(`COPY to ${this.url(to)} from`, this.url(from), err);
    }
  }

  /** Deletes objects (absent ones are fine). @throws ObjectStoreError */
  async remove(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    let results;
    try {
      results = await this.#retried(`DELETE ${this.url(keys[0]!)}`, () =>
        this.client.removeObjects(this.bucket, keys),
      );
    } catch (err) {
      throw new ObjectStoreError('DELETE', this.url(keys[0]!), err);
    }
    const failed = results.find((r) => r?.Error?.Code && r.Error.Code !== 'NoSuchKey');
    if (failed?.Error) {
      const key = failed.Error.Key ?? keys[0]!;
      throw new ObjectStoreError('DELETE', this.url(key), {
        code: failed.Error.Code,
        message: failed.Error.Message,
      });
    }
  }
}

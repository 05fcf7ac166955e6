/**
 * The object-storage operations the runtime needs, on one bucket, over the `minio` client
 * (S3 API). Every error names the object as `s3://<bucket>/<key>` so that logs and status
 * conditions say which object failed.
 */
import { Client as MinioClient, type ClientOptions } from 'minio';
import type { Readable } from 'node:stream';
import { FileCredentialProvider } from './credential-files.ts';

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
}

/** One listed object. */
export interface ObjectInfo {
  key: string;
  /** Bytes. */
  size: number;
}

/** An object-store failure, naming the object. */
export class ObjectStoreError extends Error {
  readonly object: string;
  readonly code: string | undefined;
  constructor(op: string, object: string, cause: unknown) {
    const code = (cause as { code?: string } | undefined)?.code;
    super(`${op} ${object} failed: ${code ? `${code}: ` : ''}${(cause as Error)?.message ?? String(cause)}`, {
      cause,
    });
    this.name = 'ObjectStoreError';
    this.object = object;
    this.code = code;
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

  constructor(client: MinioClient, bucket: string) {
    this.client = client;
    this.bucket = bucket;
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
    });
    return new ObjectStore(client, c.bucket);
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
  async put(key: string, body: Buffer, headers: Record<string, string> = {}): Promise<void> {
    try {
      await this.client.putObject(this.bucket, key, body, body.length, headers);
    } catch (err) {
      throw new ObjectStoreError('PUT', this.url(key), err);
    }
  }

  /** Reads a whole object. @throws ObjectStoreError (code NoSuchKey when absent). */
  async get(key: string): Promise<Buffer> {
    try {
      return await readAll(await this.client.getObject(this.bucket, key));
    } catch (err) {
      throw new ObjectStoreError('GET', this.url(key), err);
    }
  }

  /** Reads `length` bytes at `offset` (a ranged GET). @throws ObjectStoreError */
  async getRange(key: string, offset: number, length: number): Promise<Buffer> {
    if (length === 0) return Buffer.alloc(0);
    try {
      return await readAll(await this.client.getPartialObject(this.bucket, key, offset, length));
    } catch (err) {
      throw new ObjectStoreError(`GET (bytes ${offset}+${length})`, this.url(key), err);
    }
  }

  /** A stream of the object from byte `offset` to its end. @throws ObjectStoreError */
  async stream(key: string, offset: number): Promise<Readable> {
    try {
      return offset > 0
        ? await this.client.getPartialObject(this.bucket, key, offset)
        : await this.client.getObject(this.bucket, key);
    } catch (err) {
      throw new ObjectStoreError(`GET (from byte ${offset})`, this.url(key), err);
    }
  }

  /** Size in bytes, or undefined when the object does not exist. @throws ObjectStoreError on other errors */
  async size(key: string): Promise<number | undefined> {
    try {
      return (await this.client.statObject(this.bucket, key)).size;
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'NotFound' || code === 'NoSuchKey') return undefined;
      throw new ObjectStoreError('HEAD', this.url(key), err);
    }
  }

  /** All objects under `prefix` (recursive), in key order. @throws ObjectStoreError */
  async list(prefix: string): Promise<ObjectInfo[]> {
    const out: ObjectInfo[] = [];
    try {
      for await (const o of this.client.listObjectsV2(this.bucket, prefix, true)) {
        const item = o as { name?: string; size?: number };
        if (item.name) out.push({ key: item.name, size: item.size ?? 0 });
      }
    } catch (err) {
      throw new ObjectStoreError('LIST', this.url(prefix), err);
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** Server-side copy `from` → `to` within the bucket. @throws ObjectStoreError naming the source */
  async copy(from: string, to: string): Promise<void> {
    try {
      await this.client.copyObject(this.bucket, to, `/${this.bucket}/${from}`);
    } catch (err) {
      throw new ObjectStoreError(`COPY to ${this.url(to)} from`, this.url(from), err);
    }
  }

  /** Deletes objects (absent ones are fine). @throws ObjectStoreError */
  async remove(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    let results;
    try {
      results = await this.client.removeObjects(this.bucket, keys);
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

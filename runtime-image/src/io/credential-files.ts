/**
 * S3 credentials from a mounted Secret directory (files `accessKey`, `secretKey` and, for STS
 * credentials, `sessionToken`), re-read when the files change: the operator renews a job's
 * minted credentials at half-life by updating its Secret, the kubelet swaps the mounted files,
 * and running workers sign their next requests with the new keys without a restart
 * (docs/security.md "Per-job storage credentials"). The `minio` client asks its credentials
 * provider before every request; the files are looked at (stat) at most once per check interval
 * and read only when their modification time, inode or size changed.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CredentialProvider } from 'minio/dist/esm/CredentialProvider.mjs';
import { Credentials } from 'minio/dist/esm/Credentials.mjs';

/** Keys (file names) of the credentials Secret. */
const FILES = ['accessKey', 'secretKey', 'sessionToken'] as const;

/** Plain S3 credentials. Values are secrets: never log them. */
export interface CredentialValues {
  accessKey: string;
  secretKey: string;
  sessionToken?: string;
}

/** Options of {@link FileCredentialProvider}. */
export interface FileCredentialOptions {
  /** Least time between two looks at the files, ms (default 1000). */
  checkIntervalMs?: number;
  /** Epoch ms (tests pass their own). */
  now?: () => number;
}

/** See the module comment. */
export class FileCredentialProvider extends CredentialProvider {
  readonly #dir: string;
  readonly #interval: number;
  readonly #now: () => number;
  #current: Credentials;
  #signature = '';
  #checkedAt = -Infinity;

  /**
   * @param dir the mounted Secret directory
   * @param initial the credentials to use until the files are read (those of the environment)
   */
  constructor(dir: string, initial: CredentialValues, o: FileCredentialOptions = {}) {
    super(initial);
    this.#dir = dir;
    this.#interval = o.checkIntervalMs ?? 1000;
    this.#now = o.now ?? Date.now;
    this.#current = new Credentials(initial);
  }

  /**
   * The current credentials, re-read from the files when they changed. A directory that cannot
   * be read, or lacks accessKey or secretKey, leaves the previous credentials in use (a renewal
   * in progress, or no mount).
   */
  override async getCredentials(): Promise<Credentials> {
    const now = this.#now();
    if (now - this.#checkedAt < this.#interval) return this.#current;
    this.#checkedAt = now;
    const signature = (
      await Promise.all(
        FILES.map((f) =>
          stat(join(this.#dir, f)).then(
            (s) => `${s.ino}:${s.mtimeMs}:${s.size}`,
            () => '-',
          ),
        ),
      )
    ).join('|');
    if (signature === this.#signature) return this.#current;
    const [accessKey, secretKey, sessionToken] = await Promise.all(
      FILES.map((f) => readFile(join(this.#dir, f), 'utf8').catch(() => '')),
    );
    if (!accessKey || !secretKey) return this.#current;
    this.#signature = signature;
    this.#current = new Credentials({ accessKey, secretKey, ...(sessionToken ? { sessionToken } : {}) });
    return this.#current;
  }
}

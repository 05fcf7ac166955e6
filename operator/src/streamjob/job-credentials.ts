/**
 * The storage credentials of one job, for its workers and for the operator acting for it
 * (docs/security.md "Per-job storage credentials"):
 *  - a job naming its own Secret (`spec.storage.credentialsSecret`) uses that Secret's keys;
 *  - any other job gets STS credentials the operator mints with its default keys and a session
 *    policy of exactly the job's prefixes (storage-access.ts, session-policy.ts), stored in the
 *    Secret `<job>-storage-credentials` of its namespace (owned by the job), and renewed at
 *    half-life or when the policy changes. A declared prefix in another namespace's part of the
 *    bucket is refused (ProblemError `ForeignStoragePrefix`) and nothing is minted.
 * Either Secret is read at most once per recheck period (secret-memo.ts); minted credentials past
 * half-life are renewed at once, and the caller forgets a job's keys when storage refuses them.
 */
import type { CoreV1Api, V1Secret } from '@kubernetes/client-node';
import type { StreamJob } from '@sluice/api/streamjob.ts';
import type { StorageCredentials } from '../s3/storage-client.ts';
import type { Clock } from '../kube/clock.ts';
import { apiStatus, isForbidden, isNotFound } from '../kube/errors.ts';
import type { ChildObjects } from './children.ts';
import { jobMeta, ownerReference } from './desired-state.ts';
import { commonLabels } from './names.ts';
import { ProblemError } from './problem.ts';
import { SecretMemo } from './secret-memo.ts';
import { policyDigest, sessionPolicy, wildcardPrefix } from './session-policy.ts';
import { foreignPrefixMessage, placePrefix, storageAccess } from './storage-access.ts';
import type { EffectiveStorage } from './storage.ts';
import { assumeRole, StsError } from './sts-session.ts';

/** Keys of the minted Secret's data (besides accessKey and secretKey). */
export const SESSION_KEYS = {
  sessionToken: 'sessionToken',
  /** RFC 3339 time the credentials expire. */
  expiration: 'expiration',
  /** RFC 3339 time they were minted. */
  issuedAt: 'issuedAt',
  /** policyDigest of the session policy they were minted with. */
  policy: 'policySha256',
} as const;

/** A job's credentials; `renewAt` (epoch ms) when they are minted ones. Values are secrets. */
export interface JobStorageCredentials extends StorageCredentials {
  renewAt?: number;
}

/** Dependencies and settings of {@link JobCredentials}. */
export interface JobCredentialsOptions {
  children: ChildObjects;
  core: CoreV1Api;
  clock: Clock;
  /** Lifetime of minted credentials, s (operator setting `--storage-credentials-duration`). */
  durationSeconds: number;
  /** Deadline of the STS call, ms. */
  timeoutMs: number;
  /** How long credentials read from a Secret are used before it is read again, ms (the resync period). */
  recheckMs: number;
}

/** Minted credentials as last read or written, and what they were minted for. */
interface MintedEntry {
  jobUid: string;
  digest: string;
  credentials: JobStorageCredentials;
}

const decode = (v: string | undefined) =>
  v === undefined ? undefined : Buffer.from(v, 'base64').toString('utf8');
const encode = (v: string) => Buffer.from(v, 'utf8').toString('base64');

/** See the module comment. */
export class JobCredentials {
  readonly #o: JobCredentialsOptions;
  /**
   * Keys of Secrets named by `spec.storage.credentialsSecret`, and of the operator's default
   * credentials Secret that minting uses, by `namespace/name`.
   */
  readonly #own: SecretMemo<JobStorageCredentials>;
  /** Minted credentials (undefined: none usable in the Secret), by `namespace/name`. */
  readonly #minted: SecretMemo<MintedEntry | undefined>;

  constructor(o: JobCredentialsOptions) {
    this.#o = o;
    this.#own = new SecretMemo(o.clock, o.recheckMs);
    this.#minted = new SecretMemo(o.clock, o.recheckMs);
  }

  /**
   * Forgets what was read for the job's credentials Secret (`storage.secretName`): call it when
   * storage refused them, so the next {@link forJob} reads the Secret again.
   */
  forget(job: StreamJob, storage: EffectiveStorage): void {
    const key = `${job.metadata!.namespace}/${storage.secretName}`;
    this.#own.forget(key);
    this.#minted.forget(key);
  }

  /**
   * The credentials of `job`, minting (and writing the job's Secret) when there are none yet,
   * when they are past half their lifetime, or when the job's prefixes changed.
   * @throws ProblemError ForeignStoragePrefix / InvalidStoragePrefix for a refused prefix,
   *   StorageCredentialsMissing / Forbidden when a Secret cannot be read,
   *   StorageCredentialsMintFailed when STS refuses or fails
   */
  async forJob(
    job: StreamJob,
    storage: EffectiveStorage,
    signal: AbortSignal,
  ): Promise<JobStorageCredentials> {
    const namespace = job.metadata!.namespace!;
    const { children } = this.#o;
    const key = `${namespace}/${storage.secretName}`;
    if (!storage.mintFrom) return this.#keys(namespace, storage.secretName);
    const document = sessionPolicy(await this.#checkedAccess(job, storage));
    const policy = JSON.stringify(document);
    const digest = policyDigest(document);
    const now = this.#o.clock.now();
    const jobUid = job.metadata!.uid!;
    const usable = (e: MintedEntry | undefined) =>
      e !== undefined && e.jobUid === jobUid && e.digest === digest && now < e.credentials.renewAt!;
    // The job's Secret when this call read it (not when the cache answered): written below
    // against what was read, without a second read (a new job's is created straight away).
    let read: { object: V1Secret | undefined } | undefined;
    const kept = await this.#minted.get(
      key,
      async () => {
        read = { object: await children.readSecret(namespace, storage.secretName) };
        const credentials = currentMinted(read.object, jobUid, digest, now);
        return credentials && { jobUid, digest, credentials };
      },
      usable,
    );
    if (usable(kept)) return kept!.credentials;

    // The operator's default keys, shared by every job: read once per recheck period too.
    const { namespace: rootNs, name: rootName } = storage.mintFrom;
    const root = await this.#keys(rootNs, rootName);
    let minted;
    try {
      minted = await assumeRole({
        endpoint: storage.endpoint,
        credentials: { accessKey: root.accessKey, secretKey: root.secretKey },
        policy,
        durationSeconds: this.#o.durationSeconds,
        timeoutMs: this.#o.timeoutMs,
        signal,
      });
    } catch (err) {
      if (!(err instanceof StsError)) throw err;
      this.#own.forget(`${rootNs}/${rootName}`); // rotated keys are read at the next attempt
      throw new ProblemError(
        'StorageCredentialsMintFailed',
        `minting storage credentials for StreamJob ${namespace}/${job.metadata!.name}: ${err.message}; ` +
          `the operator's default storage keys must be allowed STS AssumeRole (docs/security.md)`,
        { cause: err },
      );
    }
    const data = {
      accessKey: encode(minted.accessKey),
      secretKey: encode(minted.secretKey),
      [SESSION_KEYS.sessionToken]: encode(minted.sessionToken),
      [SESSION_KEYS.expiration]: encode(minted.expiration.toISOString()),
      [SESSION_KEYS.issuedAt]: encode(new Date(now).toISOString()),
      [SESSION_KEYS.policy]: encode(digest),
    };
    await children.secret(
      desiredStorageSecret(job, storage.secretName, data),
      { ref: `${namespace}/${job.metadata!.name}`, uid: job.metadata!.uid! },
      read,
    );
    const credentials = {
      accessKey: minted.accessKey,
      secretKey: minted.secretKey,
      sessionToken: minted.sessionToken,
      renewAt: halfLife(now, minted.expiration.getTime()),
    };
    this.#minted.set(key, { jobUid, digest, credentials });
    return credentials;
  }

  /** The keys of Secret `namespace/name` (a job's own, or the operator's default), memoized. */
  #keys(namespace: string, name: string): Promise<JobStorageCredentials> {
    return this.#own.get(`${namespace}/${name}`, async () => {
      const own = await this.#o.children.readCredentials(namespace, name);
      const token = decode(own.sessionToken);
      return {
        accessKey: decode(own.accessKey)!,
        secretKey: decode(own.secretKey)!,
        ...(token ? { sessionToken: token } : {}),
      };
    });
  }

  /** The job's prefixes, after refusing wildcards and other namespaces' areas. */
  async #checkedAccess(job: StreamJob, storage: EffectiveStorage) {
    const namespace = job.metadata!.namespace!;
    const access = storageAccess(job, storage);
    const wild = wildcardPrefix(access);
    if (wild) {
      throw new ProblemError(
        'InvalidStoragePrefix',
        `${wild.source} ${JSON.stringify(wild.prefix)} contains *, ? or $, which storage policies read as patterns; name a plain key prefix`,
      );
    }
    for (const p of [...access.readWrite, ...access.readOnly]) {
      const place = placePrefix(p, storage, namespace);
      if (
        place.kind === 'foreign' ||
        (place.kind === 'maybeForeign' && (await this.#namespaceExists(place.namespace)))
      )
        throw new ProblemError('ForeignStoragePrefix', foreignPrefixMessage(p, namespace, place.namespace));
    }
    return access;
  }

  /** Whether namespace `name` exists (with an empty storage prefix, its keys are `<name>/...`). */
  async #namespaceExists(name: string): Promise<boolean> {
    try {
      await this.#o.core.readNamespace({ name });
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      if (isForbidden(err)) {
        throw new ProblemError(
          'Forbidden',
          `the operator may not read namespace ${name} (${apiStatus(err).message}), which it needs to tell whether ` +
            `prefix ${name}/ is another namespace's data with an empty storage prefix; set a storage prefix or grant get on namespaces (docs/security.md)`,
        );
      }
      throw err;
    }
  }
}

/** The midpoint of [issued, expires], epoch ms: when minted credentials are renewed. */
export function halfLife(issued: number, expires: number): number {
  return issued + (expires - issued) / 2;
}

/**
 * The minted credentials stored in `secret`, if they can still be used at `now` (epoch ms):
 * the Secret is controlled by the job `jobUid`, was minted for the policy `digest`, holds
 * every key, and half its lifetime (issuedAt → expiration) has not passed. Undefined otherwise:
 * mint new ones.
 */
export function currentMinted(
  secret: V1Secret | undefined,
  jobUid: string,
  digest: string,
  now: number,
): JobStorageCredentials | undefined {
  const d = secret?.data ?? {};
  const owned = secret?.metadata?.ownerReferences?.some((r) => r.controller && r.uid === jobUid);
  if (!owned || decode(d[SESSION_KEYS.policy]) !== digest) return undefined;
  const issued = Date.parse(decode(d[SESSION_KEYS.issuedAt]) ?? '');
  const expires = Date.parse(decode(d[SESSION_KEYS.expiration]) ?? '');
  const [accessKey, secretKey, sessionToken] = [d.accessKey, d.secretKey, d[SESSION_KEYS.sessionToken]].map(
    decode,
  );
  if (!accessKey || !secretKey || !sessionToken || Number.isNaN(issued) || Number.isNaN(expires))
    return undefined;
  const renewAt = halfLife(issued, expires);
  if (now >= renewAt) return undefined;
  return { accessKey, secretKey, sessionToken, renewAt };
}

/**
 * The job's minted storage credentials Secret, owned by the job (job-credentials.ts: keys
 * accessKey, secretKey, sessionToken, expiration, issuedAt, policySha256). `data` values are
 * base64, as the API stores them.
 */
export function desiredStorageSecret(
  job: StreamJob,
  secretName: string,
  data: Record<string, string>,
): V1Secret {
  const { name, namespace } = jobMeta(job);
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: {
      name: secretName,
      namespace,
      labels: commonLabels(name),
      ownerReferences: [ownerReference(job)],
    },
    data: { ...data },
  };
}

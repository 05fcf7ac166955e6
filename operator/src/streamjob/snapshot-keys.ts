/**
 * The jobs' snapshot keys (snapshot-key.ts), as the checkpoint coordinator needs them to sign
 * and verify `_metadata`, kept per job for a jittered share of the recheck period
 * (secret-memo.ts, docs/operator.md "Reads: informer caches"). The reconcile's ensure of the
 * snapshot key Secret records the key it has just read or written ({@link SnapshotKeys.record}),
 * so the coordinator does not read the same Secret again.
 */
import type { V1Secret } from '@kubernetes/client-node';
import type { StreamJob } from '@sluice/api/streamjob.ts';
import type { Clock } from '../kube/clock.ts';
import type { ChildObjects } from './children.ts';
import { snapshotKeySecretName } from './names.ts';
import { SecretMemo } from './secret-memo.ts';
import { snapshotKeyFromSecret } from './snapshot-key.ts';

/** See the module comment. */
export class SnapshotKeys {
  readonly #memo: SecretMemo<Buffer>;
  readonly #children: Pick<ChildObjects, 'readSecret'>;

  /**
   * @param recheckMs the recheck period, ms (the operator's resync period)
   * @param random the jitter's uniform draw in [0, 1) (secret-memo.ts)
   */
  constructor(
    clock: Clock,
    recheckMs: number,
    children: Pick<ChildObjects, 'readSecret'>,
    random?: () => number,
  ) {
    this.#memo = new SecretMemo(clock, recheckMs, random);
    this.#children = children;
  }

  /**
   * The key bytes of `job`'s snapshot key Secret: kept, or read.
   * @throws ProblemError SnapshotKeyMissing when the Secret is absent, not the job's, or unusable;
   *   API errors of the read as they are
   */
  forJob(job: StreamJob): Promise<Buffer> {
    const { namespace, name } = job.metadata!;
    return this.#memo.get(keyOf(job), async () =>
      snapshotKeyFromSecret(await this.#children.readSecret(namespace!, snapshotKeySecretName(name!)), job),
    );
  }

  /**
   * Keeps the key of `secret`, the job's snapshot key Secret as it is now stored (just read
   * and found as desired, or just written).
   * @throws ProblemError SnapshotKeyMissing when `secret` holds no usable key of the job
   */
  record(job: StreamJob, secret: V1Secret): void {
    this.#memo.set(keyOf(job), snapshotKeyFromSecret(secret, job));
  }
}

/** Memo key: `namespace/name/uid` (a job recreated under the same name has another key). */
function keyOf(job: StreamJob): string {
  const { namespace, name, uid } = job.metadata!;
  return `${namespace}/${name}/${uid}`;
}

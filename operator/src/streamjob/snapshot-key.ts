/**
 * The per-job snapshot key (docs/security.md "Snapshot integrity", docs/operator.md "What the
 * operator creates"): 32 random bytes, hex, in the Secret `<job>-snapshot-key` (key `key`),
 * created once and kept for the job's whole life — every attempt, every spec change — because
 * `_metadata` of every checkpoint and savepoint the job ever took is signed with it
 * (api/src/snapshot-mac.ts). Owned by the StreamJob, so it is garbage-collected with it. The
 * operator reads it to sign `_metadata` and to verify it when choosing a restore source; the
 * workers get it as SLUICE_SNAPSHOT_KEY (secretKeyRef) and verify on restore. Pure.
 */
import { randomBytes } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import { snapshotKeyBytes } from '@sluice/api/snapshot-mac.ts';
import type { StreamJob } from '@sluice/api/streamjob.ts';
import { ownerReference } from './desired-state.ts';
import { commonLabels, snapshotKeySecretName } from './names.ts';
import { ProblemError } from './problem.ts';
import { isControlledBy } from './workers.ts';

/** Key of the Secret's data that holds the snapshot key. */
export const SNAPSHOT_KEY_DATA_KEY = 'key';

/** A fresh snapshot key: 32 random bytes, hex (64 characters, used as its UTF-8 bytes). */
export function freshSnapshotKey(): string {
  return randomBytes(32).toString('hex');
}

/**
 * The base64 snapshot key of the job: the one in `existing` when that Secret is the job's
 * (controller `jobUid`) and holds a usable key — never replaced, whatever the attempt — else a
 * fresh one (the job's first reconcile).
 */
export function jobSnapshotKey(
  existing: V1Secret | undefined,
  jobUid: string,
  fresh: () => string = freshSnapshotKey,
): string {
  const kept = existing?.data?.[SNAPSHOT_KEY_DATA_KEY];
  if (kept && existing && isControlledBy(existing, jobUid) && usable(kept)) return kept;
  return Buffer.from(fresh(), 'utf8').toString('base64');
}

function usable(b64: string): boolean {
  try {
    snapshotKeyBytes(Buffer.from(b64, 'base64').toString('utf8'), 'key');
    return true;
  } catch {
    return false;
  }
}

/** The Secret `<job>-snapshot-key` holding `keyB64` (base64), owned by the job. */
export function desiredSnapshotKeySecret(job: StreamJob, keyB64: string): V1Secret {
  const name = job.metadata!.name!;
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: {
      name: snapshotKeySecretName(name),
      namespace: job.metadata!.namespace!,
      labels: commonLabels(name),
      ownerReferences: [ownerReference(job)],
    },
    data: { [SNAPSHOT_KEY_DATA_KEY]: keyB64 },
  };
}

/**
 * The snapshot key bytes from the job's Secret as read (the value is never in a message).
 * @throws ProblemError SnapshotKeyMissing when the Secret is absent, not controlled by the job,
 *   or holds no usable key (the reconcile writes it before any pod, so this is transient or
 *   someone removed it)
 */
export function snapshotKeyFromSecret(secret: V1Secret | undefined, job: StreamJob): Buffer {
  const where = `Secret ${job.metadata!.namespace}/${snapshotKeySecretName(job.metadata!.name!)}`;
  if (!secret) throw new ProblemError('SnapshotKeyMissing', `${where} does not exist`);
  if (!isControlledBy(secret, job.metadata!.uid!)) {
    throw new ProblemError('SnapshotKeyMissing', `${where} is not controlled by the StreamJob`);
  }
  const b64 = secret.data?.[SNAPSHOT_KEY_DATA_KEY];
  try {
    return snapshotKeyBytes(
      Buffer.from(b64 ?? '', 'base64').toString('utf8'),
      `key ${SNAPSHOT_KEY_DATA_KEY} of ${where}`,
    );
  } catch (err) {
    throw new ProblemError('SnapshotKeyMissing', (err as Error).message);
  }
}

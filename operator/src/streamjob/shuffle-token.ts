/**
 * The per-attempt shuffle token (docs/security.md, docs/operator.md "What the operator creates"):
 * a random secret in the Secret `<job>-shuffle-token` (key `token`, label `sluice.dev/attempt`)
 * that every worker of the attempt gets as SLUICE_SHUFFLE_TOKEN and must present in the shuffle
 * handshake, so nothing but the attempt's own workers can inject records on the data port. A new
 * attempt gets a new token; the Secret is rewritten before the attempt's pods are created (pods of
 * the previous attempt are gone by then, and a pod reads the Secret once, when it starts). Pure.
 */
import { randomBytes } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import type { StreamJob } from '@sluice/api/streamjob.ts';
import { ownerReference } from './desired-state.ts';
import { LABEL_ATTEMPT, commonLabels, shuffleTokenSecretName } from './names.ts';
import { isControlledBy } from './workers.ts';

/** A fresh token: 32 random bytes, hex. */
export function freshToken(): string {
  return randomBytes(32).toString('hex');
}

/**
 * The base64 token attempt `attempt` uses: the one in `existing` when that Secret is the job's
 * (controller `jobUid`) and was written for this attempt, else a fresh one.
 */
export function attemptToken(
  existing: V1Secret | undefined,
  attempt: number,
  jobUid: string,
  fresh: () => string = freshToken,
): string {
  const kept = existing?.data?.token;
  if (
    kept &&
    existing &&
    isControlledBy(existing, jobUid) &&
    existing.metadata?.labels?.[LABEL_ATTEMPT] === String(attempt)
  )
    return kept;
  return Buffer.from(fresh(), 'utf8').toString('base64');
}

/** The Secret `<job>-shuffle-token` of attempt `attempt` with `tokenB64` (base64), owned by the job. */
export function desiredShuffleTokenSecret(job: StreamJob, attempt: number, tokenB64: string): V1Secret {
  const name = job.metadata!.name!;
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: {
      name: shuffleTokenSecretName(name),
      namespace: job.metadata!.namespace!,
      labels: { ...commonLabels(name), [LABEL_ATTEMPT]: String(attempt) },
      ownerReferences: [ownerReference(job)],
    },
    data: { token: tokenB64 },
  };
}

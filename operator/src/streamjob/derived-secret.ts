/**
 * Secrets whose value is kept from what is stored — the attempt's shuffle token
 * (shuffle-token.ts), the job's snapshot key (snapshot-key.ts) — ensured with at most one read,
 * and none for a new job's (docs/operator.md "Reconcile", step 5).
 */
import type { V1Secret } from '@kubernetes/client-node';
import type { ChildObjects, EnsureOptions, EnsureOutcome } from './children.ts';

/**
 * Ensures the Secret `namespace/name` as `desiredFor(the Secret as stored)`. With `createFirst`
 * (a new job), `desiredFor(undefined)` is created without a read; only when it exists after all
 * is it read and ensured as without, so a stored token or key is kept, never overwritten.
 * @param owner `namespace/name` of the StreamJob and its uid
 * @returns the outcome, the Secret as written or compared (`desiredFor`'s result) and the Secret
 *   as read (undefined when created first or absent)
 * @throws as ChildObjects.secret (OwnershipConflict for a foreign Secret, Forbidden, API errors)
 */
export async function ensureDerivedSecret(
  children: Pick<ChildObjects, 'secret' | 'readSecret'>,
  namespace: string,
  name: string,
  desiredFor: (stored: V1Secret | undefined) => V1Secret,
  owner: { ref: string; uid: string },
  options: EnsureOptions = {},
): Promise<{ outcome: EnsureOutcome; body: V1Secret; stored: V1Secret | undefined }> {
  if (options.createFirst) {
    const body = desiredFor(undefined);
    // Given as absent: 'created', or 'unchanged' when it exists after all (then read below).
    if ((await children.secret(body, owner, { object: undefined })) === 'created')
      return { outcome: 'created', body, stored: undefined };
  }
  const stored = await children.readSecret(namespace, name);
  const body = desiredFor(stored);
  return { outcome: await children.secret(body, owner, { object: stored }), body, stored };
}

/**
 * The coordinator's protocol writes on the StreamJob, which every worker of the attempt watches
 * (docs/checkpointing.md "Protocol (operator ↔ workers)"): the checkpoint request, and the final
 * notice of a bounded job. The commit notice is the status write of lastCompleted itself.
 */
import type { V1Pod } from '@kubernetes/client-node';
import {
  ANN_CHECKPOINT_FINAL,
  ANN_CHECKPOINT_REQUEST,
  type CheckpointRequest,
} from '@sluice/api/protocol.ts';
import type { StreamJob } from '@sluice/api/streamjob.ts';
import type { StreamJobClient } from '../streamjob/streamjob-client.ts';
import { finalNoticeDue } from './snapshot-status.ts';

/**
 * Writes `req` as the job's `sluice.dev/checkpoint-request` (one merge patch, `job`'s
 * resourceVersion as precondition).
 * @returns the job as written
 * @throws ApiException 409 when the job changed since it was read (the next reconcile writes it again)
 */
export function writeRequest(
  jobs: StreamJobClient,
  job: StreamJob,
  req: CheckpointRequest,
): Promise<StreamJob> {
  return jobs.patchMetadata(job, { annotations: { [ANN_CHECKPOINT_REQUEST]: JSON.stringify(req) } });
}

/**
 * Writes `sluice.dev/checkpoint-final` on the job when it is due (snapshot-status.ts
 * finalNoticeDue: every pod of the attempt acked the committed id as final); otherwise nothing.
 * @returns the job as written, or `job` when nothing was due
 * @throws ApiException 409 when the job changed since it was read
 */
export async function writeFinalNotice(
  jobs: StreamJobClient,
  job: StreamJob,
  pods: V1Pod[],
): Promise<StreamJob> {
  const id = finalNoticeDue(job, pods);
  if (id === undefined) return job;
  return jobs.patchMetadata(job, { annotations: { [ANN_CHECKPOINT_FINAL]: String(id) } });
}

/**
 * User requests as annotations on a StreamJob (api/src/protocol.ts): `sluice.dev/savepoint`,
 * `sluice.dev/checkpoint`, `sluice.dev/restart`, each valued with a nonce. A request is pending
 * while its nonce differs from `status.lastHandledRequests.<kind>.nonce`; handling it records
 * the nonce with a result there (so it is idempotent and visible in `kubectl get -o yaml`) and
 * emits an Event. Pure verdicts here; the reconciler records them.
 */
import { ANN_REQUEST_CHECKPOINT, ANN_REQUEST_RESTART, ANN_REQUEST_SAVEPOINT } from '@sluice/api/protocol.ts';
import type { HandledRequest, RequestResult, StreamJob } from '@sluice/api/streamjob.ts';

/** The kinds of user request. */
export type RequestKind = 'savepoint' | 'checkpoint' | 'restart';

/** Annotation of each request kind. */
export const REQUEST_ANNOTATIONS: Readonly<Record<RequestKind, string>> = {
  savepoint: ANN_REQUEST_SAVEPOINT,
  checkpoint: ANN_REQUEST_CHECKPOINT,
  restart: ANN_REQUEST_RESTART,
};

/** A request not handled yet. */
export interface PendingRequest {
  kind: RequestKind;
  nonce: string;
}

/** Nonces are used in object keys and label-like places: 1–63 characters of [A-Za-z0-9_.-], starting alphanumeric. */
export const NONCE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

/** Requests whose annotation value differs from the last handled nonce of their kind, in kind order. */
export function pendingRequests(job: StreamJob): PendingRequest[] {
  const annotations = job.metadata?.annotations ?? {};
  const handled = job.status?.lastHandledRequests ?? {};
  const out: PendingRequest[] = [];
  for (const kind of Object.keys(REQUEST_ANNOTATIONS) as RequestKind[]) {
    const nonce = annotations[REQUEST_ANNOTATIONS[kind]];
    if (nonce === undefined) continue;
    if (handled[kind]?.nonce === nonce) continue;
    out.push({ kind, nonce });
  }
  return out;
}

/** The decision on a request: a result for status and a message for status and the Event. */
export interface RequestVerdict {
  result: Extract<RequestResult, 'Accepted' | 'Rejected'>;
  message: string;
}

/** Facts about the job a verdict depends on. */
export interface RequestContext {
  suspended: boolean;
  /** Kinds something in this operator can carry out (restart always; checkpoint/savepoint once a coordinator is plugged in). */
  supported: ReadonlySet<RequestKind>;
}

/** Accepts or rejects a pending request; see the module comment. */
export function judgeRequest(req: PendingRequest, ctx: RequestContext): RequestVerdict {
  const ann = REQUEST_ANNOTATIONS[req.kind];
  if (!NONCE_PATTERN.test(req.nonce)) {
    return {
      result: 'Rejected',
      message: `${ann} value ${JSON.stringify(req.nonce.slice(0, 80))} is not a valid nonce (1-63 characters of A-Z a-z 0-9 _ . -, starting with a letter or digit)`,
    };
  }
  if (!ctx.supported.has(req.kind)) {
    return {
      result: 'Rejected',
      message: `${ann}=${req.nonce}: ${req.kind} requests are not supported by this operator version`,
    };
  }
  if (ctx.suspended) {
    return {
      result: 'Rejected',
      message: `${ann}=${req.nonce}: the job is suspended and has no workers; set spec.state=running first`,
    };
  }
  return { result: 'Accepted', message: `${ann}=${req.nonce} accepted` };
}

/** The status.lastHandledRequests entry recording `verdict` for `req` at `handledAt` (RFC 3339). */
export function handledEntry(
  req: PendingRequest,
  verdict: RequestVerdict,
  handledAt: string,
): HandledRequest {
  return { nonce: req.nonce, result: verdict.result, message: verdict.message, handledAt };
}

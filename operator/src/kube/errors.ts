/**
 * Reading errors of @kubernetes/client-node: its calls reject with an `ApiException` whose
 * `code` is the HTTP status and whose `body` is the API server's `Status` (as a JSON string or
 * an object); watches reject with an Error carrying `statusCode`.
 */

/** The parts of a Kubernetes `Status` we use. */
export interface ApiStatus {
  code: number | undefined;
  reason: string | undefined;
  message: string;
}

function bodyOf(err: unknown): { message?: string; reason?: string } | undefined {
  const body = (err as { body?: unknown }).body;
  if (typeof body === 'string') {
    try {
      return JSON.parse(body) as { message?: string; reason?: string };
    } catch {
      return { message: body };
    }
  }
  return typeof body === 'object' && body !== null
    ? (body as { message?: string; reason?: string })
    : undefined;
}

/** HTTP status and the API server's message of a failed client-node call (or the error's own message). */
export function apiStatus(err: unknown): ApiStatus {
  const e = err as { code?: unknown; statusCode?: unknown; message?: unknown };
  const code =
    typeof e?.code === 'number' ? e.code : typeof e?.statusCode === 'number' ? e.statusCode : undefined;
  const body = bodyOf(err);
  const message = body?.message ?? (typeof e?.message === 'string' ? e.message : String(err));
  return { code, reason: body?.reason, message };
}

/** The HTTP status of a failed call, if it has one. */
export function statusCode(err: unknown): number | undefined {
  return apiStatus(err).code;
}

/** 404: the object does not exist. */
export const isNotFound = (err: unknown): boolean => statusCode(err) === 404;

/**
 * What `read` resolves to, or undefined when the API answers 404 Not Found.
 * @throws any other error of `read`, as it is
 */
export async function ifExists<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}
/** 409 on create: an object of that name exists. */
export const isAlreadyExists = (err: unknown): boolean =>
  statusCode(err) === 409 && apiStatus(err).reason === 'AlreadyExists';
/** 409 on update: the resourceVersion precondition failed (someone else wrote first). */
export const isConflict = (err: unknown): boolean =>
  statusCode(err) === 409 && apiStatus(err).reason !== 'AlreadyExists';
/** 410: the resourceVersion is too old for a watch. */
export const isGone = (err: unknown): boolean => statusCode(err) === 410;
/** 403: RBAC (or admission) forbids the call. */
export const isForbidden = (err: unknown): boolean => statusCode(err) === 403;

/** One line describing a failed call: `<what>: <code> <message>`. */
export function describeApiError(what: string, err: unknown): string {
  const s = apiStatus(err);
  return `${what}: ${s.code ?? 'error'} ${s.message}`;
}

/**
 * JSON merge patches (RFC 7386) computed from two documents: applying `mergePatch(from, to)` to
 * `from` yields `to`. Objects are diffed key by key (removed keys become `null`); arrays and
 * scalars are replaced whole — which is why a status patch must carry the complete
 * `conditions` array, as RFC 7386 and the API server treat it.
 */

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Whether two JSON values are equal, whatever the order of their objects' keys: the API server
 * returns a custom resource's objects with their keys sorted (Go's encoding of maps), while the
 * operator builds them in its own order, and a status read back must compare equal to the same
 * status computed again (else every reconcile would write it).
 */
function equalJson(a: unknown, b: unknown): boolean {
  return sortedJson(a) === sortedJson(b);
}

/** JSON text of `v` with every object's keys sorted (undefined members dropped, as JSON does). */
function sortedJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : sortedJson(x))).join(',')}]`;
  if (isObject(v)) {
    const keys = Object.keys(v)
      .filter((k) => v[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${sortedJson(v[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/**
 * The merge patch from `from` to `to` (both JSON-compatible objects), or undefined when they
 * are equal. Keys whose value is `undefined` count as absent.
 */
export function mergePatch(
  from: Record<string, unknown>,
  to: Record<string, unknown>,
): Record<string, Json> | undefined {
  const patch: Record<string, Json> = {};
  for (const key of Object.keys(from)) {
    if (from[key] !== undefined && to[key] === undefined) patch[key] = null;
  }
  for (const [key, value] of Object.entries(to)) {
    if (value === undefined) continue;
    const old = from[key];
    if (isObject(old) && isObject(value)) {
      const sub = mergePatch(old, value);
      if (sub !== undefined) patch[key] = sub;
    } else if (!equalJson(old, value)) {
      patch[key] = JSON.parse(JSON.stringify(value)) as Json;
    }
  }
  return Object.keys(patch).length > 0 ? patch : undefined;
}

/** Applies merge patch `patch` to `doc` (RFC 7386 semantics); returns a new document. */
export function applyMergePatch(
  doc: Record<string, unknown>,
  patch: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...doc };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else if (isObject(value)) out[key] = applyMergePatch(isObject(out[key]) ? out[key] : {}, value);
    else out[key] = value;
  }
  return out;
}

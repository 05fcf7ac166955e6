/**
 * Decoded shuffle values that do not pin the frame they came in (docs/runtime.md "Strings and
 * bytes from the shuffle").
 *
 * msgpackr's native string extractor (`msgpackr-extract`) decodes a run of a frame's short ASCII
 * strings as one JavaScript string of up to about 6000 characters and hands out slices of it, and
 * V8 keeps a slice of {@link SLICED_STRING_MIN_LENGTH} characters or more as a view on its parent
 * (a `SlicedString`), so a key or value kept in heap state would keep the whole run alive: about
 * 20× the memory of a Nexmark bid kept from each frame (bench/results/ab/msgpackr-string-slices/).
 * {@link unpinned} replaces every such string in a decoded record with a copy of its own.
 */

/**
 * Shortest string V8 represents as a slice of its parent (`SlicedString::kMinLength` in V8's
 * src/objects/string.h); shorter substrings are always copied.
 */
export const SLICED_STRING_MIN_LENGTH = 13;

/**
 * A copy of `s` that shares no characters with another string. Prepending a character makes a
 * two-part (cons) string; slicing it flattens it into a fresh string of `s.length + 1`
 * characters, of which the result is the view: the only string the result keeps alive is that
 * fresh one.
 */
export function unpinnedString(s: string): string {
  return s.length < SLICED_STRING_MIN_LENGTH ? s : (' ' + s).slice(1);
}

/**
 * `v` with every string of {@link SLICED_STRING_MIN_LENGTH} or more characters in it replaced by
 * {@link unpinnedString} — in plain objects, arrays, Maps (keys and values) and Sets, at any
 * depth; other objects (Buffers, Dates, typed arrays) are left as they are. Objects and arrays are
 * changed in place, which is safe for a value just decoded and not yet seen by anyone else; a Map's
 * or Set's entries are re-inserted in their order.
 */
export function unpinned(v: unknown): unknown {
  if (typeof v === 'string') return unpinnedString(v);
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (mayPin(v[i])) v[i] = unpinned(v[i]);
    return v;
  }
  if (v instanceof Map) return unpinnedMap(v);
  if (v instanceof Set) return unpinnedSet(v);
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return v;
  const o = v as Record<string, unknown>;
  for (const k in o) if (mayPin(o[k])) o[k] = unpinned(o[k]);
  return v;
}

/** Whether `x` is a string that may be a slice, or an object that may hold one. */
function mayPin(x: unknown): boolean {
  return typeof x === 'string' ? x.length >= SLICED_STRING_MIN_LENGTH : typeof x === 'object' && x !== null;
}

function unpinnedMap(m: Map<unknown, unknown>): Map<unknown, unknown> {
  const entries = [...m];
  m.clear();
  for (const [k, x] of entries) m.set(unpinned(k), unpinned(x));
  return m;
}

function unpinnedSet(s: Set<unknown>): Set<unknown> {
  const items = [...s];
  s.clear();
  for (const x of items) s.add(unpinned(x));
  return s;
}

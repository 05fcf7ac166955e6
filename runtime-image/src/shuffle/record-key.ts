/**
 * The key of a record decoded from a shuffle frame, as the receiving worker uses it (docs/runtime.md
 * "Profile of Nexmark Q5 and Q7", "Keys from the shuffle").
 */
import { unpinnedString } from './unpinned.ts';

const DIGIT_0 = 48;
const DIGIT_9 = 57;
const MINUS = 45;

/**
 * `wireKey` as the key string the worker uses: equal to it, and
 * - when it is a number's canonical decimal form (what `String(n)` prints, as the shuffle exit's
 *   `String(selector(value))` made it from a number), the string `String(n)` returns here: V8
 *   keeps recent number-to-string results in a cache, so keys of the same number are one string
 *   object whose hash is computed once, as they are for records that stay on their worker; a key
 *   decoded as a new string is hashed again at its first lookup in a keyed state's Map;
 * - otherwise a copy that does not pin its frame ({@link unpinnedString}).
 */
export function recordKey(wireKey: string): string {
  const c = wireKey.charCodeAt(0);
  if ((c >= DIGIT_0 && c <= DIGIT_9) || c === MINUS) {
    const shared = String(Number(wireKey));
    if (shared === wireKey) return shared;
  }
  return unpinnedString(wireKey);
}

/**
 * The MAC of a `_metadata` document (docs/security.md "Snapshot integrity",
 * docs/checkpointing.md "The `_metadata` document"): HMAC-SHA256 (RFC 2104, FIPS 180-4;
 * node:crypto) under the job's snapshot key of the document's canonical JSON without its `mac`
 * field. The operator signs when it writes `_metadata`; the operator (choosing a restore source)
 * and the workers (restoring) verify. Since the document lists every state file's size and
 * sha256, the MAC also authenticates the state files.
 *
 * Canonical JSON: the JSON Canonicalization Scheme of RFC 8785 for the values a `_metadata`
 * holds — object members sorted by their names' UTF-16 code units, no whitespace, strings and
 * numbers as ECMAScript's JSON.stringify writes them (which is what RFC 8785 prescribes), members
 * whose value is `undefined` left out (as JSON.stringify does). So the MAC does not depend on
 * the order in which a writer put the fields or on how a reader re-serialises them.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { SnapshotMetadata } from './metadata.ts';

/** Shortest snapshot key accepted (bytes): 256 bits, HMAC-SHA256's output size. */
export const MIN_SNAPSHOT_KEY_BYTES = 32;

/**
 * The canonical JSON text of `value` (see the module comment).
 * @throws TypeError on a non-finite number, a bigint, a function or a symbol (not JSON data)
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonical JSON has no form for the number ${value}`);
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`;
      const members = Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`);
      return `{${members.join(',')}}`;
    }
    default:
      throw new TypeError(`canonical JSON has no form for a ${typeof value}`);
  }
}

/**
 * The MAC of `metadata` under `key`: HMAC-SHA256 of the UTF-8 canonical JSON of the document
 * without its `mac` field, lowercase hex (64 characters).
 * @param key the job's snapshot key (bytes of the Secret's value)
 */
export function metadataMac(metadata: SnapshotMetadata, key: Uint8Array): string {
  const { mac: _ignored, ...signed } = metadata;
  return createHmac('sha256', key).update(canonicalJson(signed), 'utf8').digest('hex');
}

/** `metadata` with its `mac` set under `key` (what the coordinator writes). */
export function signMetadata(metadata: SnapshotMetadata, key: Uint8Array): SnapshotMetadata {
  return { ...metadata, mac: metadataMac(metadata, key) };
}

/**
 * Why `metadata` is not authentic under `key`, or undefined when its MAC matches (compared in
 * constant time).
 * @param source the `_metadata` object, named in the message (e.g. `s3://bucket/key`)
 */
export function metadataMacProblem(
  metadata: SnapshotMetadata,
  key: Uint8Array,
  source: string,
): string | undefined {
  if (metadata.mac === undefined) {
    return `${source} carries no MAC; the job's own snapshots must be signed with its snapshot key`;
  }
  const expected = Buffer.from(metadataMac(metadata, key), 'hex');
  const given = Buffer.from(metadata.mac, 'hex');
  if (given.length === expected.length && timingSafeEqual(given, expected)) return undefined;
  return `${source}: MAC does not match (the document was altered or forged, or signed with another key)`;
}

/**
 * The snapshot key from its textual form (the Secret's value, as the env variable or the
 * Secret's decoded data carries it): its UTF-8 bytes.
 * @throws RangeError when shorter than MIN_SNAPSHOT_KEY_BYTES (the value is never in the message)
 */
export function snapshotKeyBytes(text: string, what: string): Buffer {
  const key = Buffer.from(text, 'utf8');
  if (key.length < MIN_SNAPSHOT_KEY_BYTES) {
    throw new RangeError(
      `${what} is ${key.length} bytes long; a snapshot key needs at least ${MIN_SNAPSHOT_KEY_BYTES}`,
    );
  }
  return key;
}

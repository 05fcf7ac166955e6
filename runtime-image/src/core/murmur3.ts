/**
 * MurmurHash3, x86 32-bit variant (Austin Appleby, public domain; reference algorithm in
 * SMHasher's MurmurHash3.cpp, `MurmurHash3_x86_32`). Implemented here from the published
 * algorithm description; verified against the published test vectors in murmur3.test.ts.
 *
 * It is part of the savepoint format: key groups are derived from it (see keygroups.ts), so
 * its output for a given input must never change.
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/**
 * Hashes `bytes` with MurmurHash3_x86_32.
 * @param bytes input bytes (e.g. the UTF-8 encoding of a key)
 * @param seed 32-bit seed (interpreted as unsigned)
 * @param len how many bytes of `bytes` to hash, from the start (default all)
 * @returns the hash as an unsigned 32-bit integer in [0, 2^32)
 */
export function murmur3x86_32(bytes: Uint8Array, seed = 0, len = bytes.length): number {
  const nblocks = len >>> 2;
  let h1 = seed | 0;
  for (let i = 0; i < nblocks; i++) {
    const o = i << 2;
    let k1 = bytes[o]! | (bytes[o + 1]! << 8) | (bytes[o + 2]! << 16) | (bytes[o + 3]! << 24);
    k1 = Math.imul(k1, C1);
    k1 = (k1 << 15) | (k1 >>> 17);
    k1 = Math.imul(k1, C2);
    h1 ^= k1;
    h1 = (h1 << 13) | (h1 >>> 19);
    h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0;
  }
  const tail = nblocks << 2;
  const rem = len & 3;
  if (rem > 0) {
    let k1 = 0;
    if (rem === 3) k1 ^= bytes[tail + 2]! << 16;
    if (rem >= 2) k1 ^= bytes[tail + 1]! << 8;
    k1 ^= bytes[tail]!;
    k1 = Math.imul(k1, C1);
    k1 = (k1 << 15) | (k1 >>> 17);
    k1 = Math.imul(k1, C2);
    h1 ^= k1;
  }
  h1 ^= len;
  h1 ^= h1 >>> 16;
  h1 = Math.imul(h1, 0x85ebca6b);
  h1 ^= h1 >>> 13;
  h1 = Math.imul(h1, 0xc2b2ae35);
  h1 ^= h1 >>> 16;
  return h1 >>> 0;
}

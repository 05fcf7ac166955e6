import { murmur3x86_32 } from './murmur3.ts';

const utf8 = (s: string) => new TextEncoder().encode(s);

describe('murmur3x86_32', () => {
  // Published MurmurHash3_x86_32 test vectors (SMHasher reference implementation outputs).
  it.each([
    ['', 0, 0x00000000],
    ['', 1, 0x514e28b7],
    ['', 0xffffffff, 0x81f16f39],
    ['a', 0x9747b28c, 0x7fa09ea6],
    ['aa', 0x9747b28c, 0x5d211726],
    ['aaa', 0x9747b28c, 0x283e0130],
    ['aaaa', 0x9747b28c, 0x5a97808a],
    ['abcd', 0x9747b28c, 0xf0478627],
    ['Hello, world!', 0x9747b28c, 0x24884cba],
    ['The quick brown fox jumps over the lazy dog', 0x9747b28c, 0x2fa826cd],
  ])('hashes %j with seed %i to the reference value', (input, seed, expected) => {
    expect(murmur3x86_32(utf8(input), seed)).toBe(expected);
  });

  it('hashes four zero bytes to the reference value', () => {
    expect(murmur3x86_32(new Uint8Array(4), 0)).toBe(0x2362f9de);
  });

  it('hashes multi-byte UTF-8 as bytes (π is 0xCF 0x80)', () => {
    expect(murmur3x86_32(utf8('π'), 0)).toBe(murmur3x86_32(new Uint8Array([0xcf, 0x80]), 0));
  });
});

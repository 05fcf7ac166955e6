import { FrameDecoder, encodeFrame } from './frames.ts';
import { recordKey } from './record-key.ts';

// Whether a key is the number-to-string cache's string object cannot be seen from JavaScript
// (strings compare by value); it shows in the benchmark (docs/runtime.md "Keys from the shuffle").
// What must hold is that no key changes, whatever it looks like.
describe('recordKey', () => {
  it('returns a key equal to the wire key, numeric or not', () => {
    const keys = [
      '1234567',
      '-42',
      '0',
      '',
      'apple',
      '007',
      '-0',
      '1e3',
      '0x10',
      ' 12',
      '12 ',
      '1.5',
      '1.50',
      '-',
      'NaN',
    ];
    for (const k of [...keys, '9007199254740993', 'https://www.nexmark.com/item.htm?query=1'])
      expect(recordKey(k)).toBe(k);
  });

  it('gives the keys of a decoded data frame’s records', () => {
    const records = [3, '1007', 7, 1, 4, 'pear', 'pear', 2, 5, '08', 8, 3, 6, '-0', 0, 4];
    const [m] = new FrameDecoder().push(encodeFrame({ t: 'data', boundary: 1, records }));
    if (m?.t !== 'data') throw new Error('expected a data frame');
    expect(m.records).toEqual(records);
  });
});

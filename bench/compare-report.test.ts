import { fmtBytes, fmtRatio, pairRows, parseResults, ratio, variantOf } from './compare-report.ts';

describe('pairRows', () => {
  it('pairs every row of one engine with every row of the other of the same key', () => {
    const key = (x: string) => x[0]!;
    expect(pairRows(['a1', 'b1'], ['b2', 'b3', 'c1'], key)).toEqual([
      ['a1', undefined],
      ['b1', 'b2'],
      ['b1', 'b3'],
      [undefined, 'c1'],
    ]);
  });

  it('names Flink variants', () => {
    expect(variantOf({ bufferTimeoutMs: 5 })).toBe('buffer timeout 5 ms');
    expect(variantOf({ variant: 'object reuse' })).toBe('object reuse');
    expect(variantOf(undefined)).toBe('');
  });
});

describe('ratios and formatting', () => {
  it('divides only real, positive figures', () => {
    expect(ratio(1, 2)).toBe(0.5);
    expect(ratio(1, 0)).toBeUndefined();
    expect(ratio(undefined, 2)).toBeUndefined();
    expect(ratio(1, NaN)).toBeUndefined();
    expect(fmtRatio(undefined)).toBe('—');
    expect(fmtRatio(0.4)).toBe('0.400×');
    expect(fmtRatio(0.4971)).toBe('0.497×');
    expect(fmtRatio(1.234)).toBe('1.23×');
    expect(fmtRatio(12.6)).toBe('13×');
    expect(fmtBytes(3_437_513)).toBe('3.3 MiB');
    expect(fmtBytes(54_347)).toBe('53 KiB');
    expect(fmtBytes(12)).toBe('12 B');
  });
});

describe('parseResults', () => {
  it('names the file and the field that is wrong', () => {
    expect(() => parseResults([], 'x.json')).toThrow('x.json: not a JSON object');
    expect(() => parseResults({ engine: 'e', version: 'v' }, 'x.json')).toThrow('"runtime" must be a string');
    expect(() =>
      parseResults(
        {
          engine: 'e',
          version: 'v',
          runtime: 'r',
          throughput: [{ job: 'wordcount', parallelism: 1, events: 1 }],
        },
        'x.json',
      ),
    ).toThrow('throughput[0].eventsPerSecondPerWorker must be a number');
  });

  it('fills missing sections with empty lists', () => {
    const r = parseResults({ engine: 'e', version: 'v', runtime: 'r' }, 'x.json');
    expect(r.throughput).toEqual([]);
    expect(r.machine).toEqual({ cpus: 0, model: 'unknown' });
  });
});

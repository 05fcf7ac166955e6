import { areaOf, frameName, sampledTime, shares, type CpuProfile } from './cpu-profile.ts';

const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber });

// root → run (source-task) → encode (shuffle) ; root → (garbage collector); run → run (recursion)
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)'), children: [2, 5] },
    {
      id: 2,
      callFrame: frame('run', 'file:///w/runtime-image/src/runtime/source-task.ts', 9),
      children: [3, 4],
    },
    { id: 3, callFrame: frame('encode', 'file:///w/runtime-image/src/shuffle/frames.ts', 41) },
    { id: 4, callFrame: frame('run', 'file:///w/runtime-image/src/runtime/source-task.ts', 9) },
    { id: 5, callFrame: frame('(garbage collector)') },
  ],
  samples: [3, 3, 4, 5, 2, 3],
  timeDeltas: [10, 10, 10, 20, 10, 40],
};

describe('cpu profile shares', () => {
  it('gives self and inclusive shares of the sampled time, weighted by time deltas', () => {
    expect(sampledTime(profile)).toBe(100);
    const byFunction = shares(profile, frameName);
    const get = (n: string) => byFunction.find((s) => s.name.startsWith(n))!;
    expect(get('encode')).toMatchObject({ self: 0.6, inclusive: 0.6 });
    // run: self in nodes 2 and 4 (10 + 10); inclusive counts the recursive frame once per sample.
    expect(get('run')).toMatchObject({ self: 0.2, inclusive: 0.8 });
    expect(get('(garbage collector)')).toMatchObject({ self: 0.2, inclusive: 0.2 });
    expect(byFunction[0]!.name).toBe('encode runtime-image/src/shuffle/frames.ts:42');
  });

  it('groups frames by area of the code', () => {
    const byArea = shares(profile, areaOf);
    expect(byArea.map((s) => [s.name, s.self])).toEqual([
      ['runtime shuffle/', 0.6],
      ['runtime runtime/', 0.2],
      ['(garbage collector)', 0.2],
      ['(root)', 0],
    ]);
    expect(areaOf(frame('x', 'file:///w/node_modules/@platformatic/kafka/dist/a.js'))).toBe(
      'package @platformatic/kafka',
    );
    expect(areaOf(frame('write', 'node:internal/stream_base_commons'))).toBe(
      'node internal/stream_base_commons',
    );
    expect(areaOf(frame('read', 'node:internal/streams/readable'))).toBe('node internal/streams');
    expect(areaOf(frame('emit', 'node:events'))).toBe('node events');
  });

  it('refuses a profile without samples', () => {
    expect(() => shares({ nodes: profile.nodes, samples: [], timeDeltas: [] }, areaOf)).toThrow(/no samples/);
  });
});

describe('cpu profile shares of several profiles', () => {
  it('adds their times', () => {
    const gcOnly: CpuProfile = {
      nodes: [{ id: 1, callFrame: frame('(garbage collector)') }],
      samples: [1],
      timeDeltas: [100],
    };
    const both = shares([profile, gcOnly], areaOf);
    expect(both.find((s) => s.name === '(garbage collector)')!.self).toBeCloseTo(0.6);
    expect(both.find((s) => s.name === 'runtime shuffle/')!.self).toBeCloseTo(0.3);
  });
});

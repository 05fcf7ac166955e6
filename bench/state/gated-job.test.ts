import { deathLines } from './gated-job.ts';

describe('deathLines', () => {
  it("keeps V8's fatal error line of a worker that ran out of heap", () => {
    const tail = [
      '{"level":"info","msg":"running"}',
      '<--- Last few GCs --->',
      'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory',
      ' 1: 0xb9dc10 node::Abort()',
    ].join('\n');
    expect(deathLines(tail)).toBe(
      'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory',
    );
  });

  it('falls back to the last 8 lines', () => {
    const tail = Array.from({ length: 12 }, (_, i) => `line ${i}`).join('\n');
    expect(deathLines(tail).split('\n')).toEqual(Array.from({ length: 8 }, (_, i) => `line ${i + 4}`));
  });
});

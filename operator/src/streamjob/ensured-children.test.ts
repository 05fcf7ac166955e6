import { FakeClock } from '../../../test/harness/fake-clock.ts';
import { EnsuredChildren } from './ensured-children.ts';

describe('EnsuredChildren', () => {
  it('stands for the same job and fingerprint until the recheck period has passed', () => {
    const clock = new FakeClock();
    const ensured = new EnsuredChildren(clock, 60_000, () => 0);
    expect(ensured.fresh('ns/a', 'f1')).toBe(false);
    ensured.record('ns/a', 'f1');
    expect(ensured.fresh('ns/a', 'f1')).toBe(true);
    expect(ensured.fresh('ns/a', 'f2')).toBe(false);
    expect(ensured.fresh('ns/b', 'f1')).toBe(false);
    clock.advance(59_999);
    expect(ensured.fresh('ns/a', 'f1')).toBe(true);
    clock.advance(1);
    expect(ensured.fresh('ns/a', 'f1')).toBe(false);
  });

  it('spreads the rechecks of jobs ensured together over the second half of the period', () => {
    const clock = new FakeClock();
    const draws = [0, 0.5, 0.999_999];
    const ensured = new EnsuredChildren(clock, 60_000, () => draws.shift()!);
    for (const job of ['ns/a', 'ns/b', 'ns/c']) ensured.record(job, 'f');
    const fresh = () => ['ns/a', 'ns/b', 'ns/c'].filter((j) => ensured.fresh(j, 'f'));
    clock.advance(29_999);
    expect(fresh()).toEqual(['ns/a', 'ns/b', 'ns/c']);
    clock.advance(1);
    expect(fresh()).toEqual(['ns/a', 'ns/b']);
    clock.advance(15_000);
    expect(fresh()).toEqual(['ns/a']);
    clock.advance(15_000);
    expect(fresh()).toEqual([]);
  });

  it('forgets a job', () => {
    const ensured = new EnsuredChildren(new FakeClock(), 60_000);
    ensured.record('ns/a', 'f1');
    ensured.forget('ns/a');
    expect(ensured.fresh('ns/a', 'f1')).toBe(false);
  });
});

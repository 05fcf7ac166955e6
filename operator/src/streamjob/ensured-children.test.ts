import { FakeClock } from '../../../test/harness/fake-clock.ts';
import { EnsuredChildren } from './ensured-children.ts';

describe('EnsuredChildren', () => {
  it('stands for the same job and fingerprint until the recheck period has passed', () => {
    const clock = new FakeClock();
    const ensured = new EnsuredChildren(clock, 60_000);
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

  it('forgets a job', () => {
    const ensured = new EnsuredChildren(new FakeClock(), 60_000);
    ensured.record('ns/a', 'f1');
    ensured.forget('ns/a');
    expect(ensured.fresh('ns/a', 'f1')).toBe(false);
  });
});

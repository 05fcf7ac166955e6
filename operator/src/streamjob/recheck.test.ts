import { RECHECK_JITTER, recheckAfterMs } from './recheck.ts';

describe('recheckAfterMs', () => {
  it('takes between none and half of the period off', () => {
    expect(RECHECK_JITTER).toBe(0.5);
    expect(recheckAfterMs(600_000, () => 0)).toBe(600_000);
    expect(recheckAfterMs(600_000, () => 0.5)).toBe(450_000);
    expect(recheckAfterMs(600_000, () => 0.999_999)).toBe(300_000);
  });

  it('draws from Math.random by default, within the bounds', () => {
    const draws = Array.from({ length: 200 }, () => recheckAfterMs(1000));
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(500);
    expect(Math.max(...draws)).toBeLessThanOrEqual(1000);
    expect(new Set(draws).size).toBeGreaterThan(10);
  });
});

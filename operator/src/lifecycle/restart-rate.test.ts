import { recordRestart, restartRefusal } from './restart-rate.ts';

const T0 = Date.parse('2026-11-23T10:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
const base = { maxRestarts: 100, backoffSeconds: 1, maxBackoffSeconds: 10, notReadyTimeoutSeconds: 60 };
const limited = { ...base, restartRateLimit: { maxRestarts: 2, windowSeconds: 60 } };

describe('restartRefusal', () => {
  it('allows restarts within the budget when there is no rate limit', () => {
    expect(restartRefusal(base, 5, [at(0), at(1), at(2)], T0 + 3000, 'w failed')).toBeUndefined();
  });

  it('refuses once the budget is spent, whatever the rate', () => {
    const r = restartRefusal({ ...base, maxRestarts: 3 }, 3, [], T0, 'worker(s) wc-1-0 failed');
    expect(r).toEqual({
      reason: 'RestartBudgetExhausted',
      message: expect.stringMatching(/^worker\(s\) wc-1-0 failed and the restart budget of 3 is spent;/),
    });
  });

  it('refuses a failure after maxRestarts restarts within the window before it', () => {
    const recent = [at(0), at(30)];
    expect(restartRefusal(limited, 2, recent, T0 + 50_000, 'w failed')).toEqual({
      reason: 'RestartRateExceeded',
      message: expect.stringContaining(
        'w failed after 2 restarts within 60s (spec.restartPolicy.restartRateLimit allows 2)',
      ),
    });
    // The first restart is out of the window of a later failure.
    expect(restartRefusal(limited, 2, recent, T0 + 61_000, 'w failed')).toBeUndefined();
    // One restart in the window leaves room for another.
    expect(restartRefusal(limited, 1, [at(0)], T0 + 1000, 'w failed')).toBeUndefined();
  });

  it('judges a failure by the window before it, so the verdict does not change as time passes', () => {
    const recent = [at(0), at(30)];
    expect(restartRefusal(limited, 2, recent, T0 + 40_000, 'w failed')?.reason).toBe('RestartRateExceeded');
    // Restarts recorded after the failure do not count against it.
    expect(restartRefusal(limited, 2, [at(0), at(50)], T0 + 40_000, 'w failed')).toBeUndefined();
  });
});

describe('recordRestart', () => {
  it('appends the restart and keeps what the rate limit needs (at least 10)', () => {
    expect(recordRestart(base, undefined, T0)).toEqual([at(0)]);
    const many = Array.from({ length: 12 }, (_, i) => at(i));
    expect(recordRestart(base, many, T0 + 20_000)).toEqual([...many.slice(3), at(20)]);
    const big = { ...base, restartRateLimit: { maxRestarts: 12, windowSeconds: 60 } };
    expect(recordRestart(big, many, T0 + 20_000)).toEqual([...many.slice(1), at(20)]);
  });
});

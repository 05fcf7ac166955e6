import { restartBudgetExhausted, restartDelayMs } from './restart-backoff.ts';

const policy = { maxRestarts: 3, backoffSeconds: 5, maxBackoffSeconds: 60, notReadyTimeoutSeconds: 120 };

describe('restart backoff', () => {
  it('doubles from backoffSeconds and caps at maxBackoffSeconds', () => {
    expect([0, 1, 2, 3, 4, 5, 100].map((n) => restartDelayMs(policy, n))).toEqual([
      5_000, 10_000, 20_000, 40_000, 60_000, 60_000, 60_000,
    ]);
  });

  it('restarts immediately with a zero backoff', () => {
    expect(restartDelayMs({ ...policy, backoffSeconds: 0 }, 7)).toBe(0);
  });

  it('allows exactly maxRestarts restarts', () => {
    expect([0, 1, 2, 3, 4].map((n) => restartBudgetExhausted(policy, n))).toEqual([
      false,
      false,
      false,
      true,
      true,
    ]);
    expect(restartBudgetExhausted({ ...policy, maxRestarts: 0 }, 0)).toBe(true);
  });
});

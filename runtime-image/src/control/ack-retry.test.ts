import { ackRetryDelayMs, retryUntil, type RetryTiming } from './ack-retry.ts';

/** A fake clock whose sleep advances time. */
function fakeTiming(start = 0): RetryTiming & { slept: number[] } {
  let now = start;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: (ms) => {
      slept.push(ms);
      now += ms;
      return Promise.resolve();
    },
  };
}

describe('ack retries', () => {
  it('back off from 0.2 s doubling to at most 5 s', () => {
    expect([0, 1, 2, 3, 4, 5, 6].map(ackRetryDelayMs)).toEqual([200, 400, 800, 1600, 3200, 5000, 5000]);
  });

  it('keep trying through a minute-long outage and succeed when it ends', async () => {
    const timing = fakeTiming();
    let calls = 0;
    const outcome = await retryUntil(
      async () => {
        calls++;
        if (timing.now() < 60_000) throw new Error('connect ECONNREFUSED');
      },
      timing.now() + 600_000,
      { timing },
    );
    expect(outcome).toBe('done');
    expect(timing.now()).toBeGreaterThanOrEqual(60_000);
    expect(timing.now()).toBeLessThan(66_000);
    expect(calls).toBe(timing.slept.length + 1);
  });

  it('give up with the last error at the deadline, never sleeping past it', async () => {
    const timing = fakeTiming();
    const retries: number[] = [];
    await expect(
      retryUntil(() => Promise.reject(new Error('503 unavailable')), 10_000, {
        timing,
        onRetry: (_e, d) => retries.push(d),
      }),
    ).rejects.toThrow('503 unavailable');
    expect(timing.now()).toBe(10_000);
    expect(retries).toEqual([200, 400, 800, 1600, 3200, 3800]);
  });

  it('stop once a newer ack supersedes this one', async () => {
    const timing = fakeTiming();
    let newer = false;
    const outcome = await retryUntil(
      () => {
        newer = true;
        return Promise.reject(new Error('timeout'));
      },
      600_000,
      { timing, superseded: () => newer },
    );
    expect(outcome).toBe('superseded');
    expect(timing.slept).toEqual([200]);
  });
});

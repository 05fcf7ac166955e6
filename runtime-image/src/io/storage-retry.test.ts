import { ObjectStoreError } from './object-store.ts';
import {
  isTransientStorageError,
  retryStorageCall,
  STORAGE_RETRY_MAX_MS,
  StorageRetryError,
  storageRetryDelayMs,
  withStorageRetry,
  type RetryClock,
} from './storage-retry.ts';

const coded = (code: string, message = code) => Object.assign(new Error(message), { code });

/** A clock that advances only by sleeping; records the delays. */
function fakeClock(random = 0.5): RetryClock & { t: number; sleeps: number[] } {
  const c = {
    t: 1_000_000,
    sleeps: [] as number[],
    now: () => c.t,
    sleep: async (ms: number) => {
      c.sleeps.push(ms);
      c.t += ms;
    },
    random: () => random,
  };
  return c;
}

/** A call failing with `errors` in turn, then resolving 'ok'; counts calls. */
function flaky(errors: unknown[]) {
  const f = {
    calls: 0,
    call: async () => {
      const e = errors[f.calls++];
      if (e !== undefined) throw e;
      return 'ok';
    },
  };
  return f;
}

describe('isTransientStorageError', () => {
  it.each([
    'ECONNRESET',
    'ECONNREFUSED',
    'ETIMEDOUT',
    'EPIPE',
    'EAI_AGAIN',
    'SlowDown',
    'InternalError',
    'ServiceUnavailable',
    'RequestTimeout',
    'XMinioServerNotInitialized',
  ])('retries %s', (code) => {
    expect(isTransientStorageError(coded(code))).toBe(true);
  });

  it.each([
    'AccessDenied',
    'NoSuchKey',
    'NotFound',
    'PreconditionFailed',
    'InvalidAccessKeyId',
    'SignatureDoesNotMatch',
    'NoSuchBucket',
    'MethodNotAllowed',
    'ENOTFOUND',
  ])('does not retry %s (a 4xx or a wrong address fails again)', (code) => {
    expect(isTransientStorageError(coded(code))).toBe(false);
  });

  it('does not retry errors without a code (invalid JSON, validation), and reads a wrapped cause', () => {
    expect(isTransientStorageError(new Error('snapshot metadata is not valid JSON'))).toBe(false);
    expect(isTransientStorageError(new Error('x', { cause: new SyntaxError('bad') }))).toBe(false);
    expect(isTransientStorageError(undefined)).toBe(false);
    expect(isTransientStorageError(new Error('cannot read s3://b/k', { cause: coded('ECONNREFUSED') }))).toBe(
      true,
    );
    expect(isTransientStorageError(new Error('cannot read s3://b/k', { cause: coded('NoSuchKey') }))).toBe(
      false,
    );
  });
});

describe('storageRetryDelayMs (full jitter)', () => {
  it('is uniform below a ceiling that doubles from 100 ms up to the cap', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 10].map((n) => storageRetryDelayMs(n, 0.999999))).toEqual([
      99, 199, 399, 799, 1599, 3199, 3999, 3999,
    ]);
    expect(storageRetryDelayMs(3, 0)).toBe(0);
    expect(storageRetryDelayMs(3, 0.5)).toBe(400);
    for (let n = 0; n < 50; n++) {
      const d = storageRetryDelayMs(n);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(STORAGE_RETRY_MAX_MS);
    }
  });
});

describe('withStorageRetry', () => {
  it('retries transient errors with growing delays until the call succeeds', async () => {
    const clock = fakeClock(0.5);
    const f = flaky([coded('ECONNREFUSED'), coded('SlowDown'), coded('ECONNRESET')]);
    const retries: number[] = [];
    await expect(
      withStorageRetry(f.call, {
        deadlineMs: clock.t + 10_000,
        clock,
        onRetry: (_e, attempt) => retries.push(attempt),
      }),
    ).resolves.toBe('ok');
    expect(f.calls).toBe(4);
    expect(clock.sleeps).toEqual([50, 100, 200]);
    expect(retries).toEqual([1, 2, 3]);
  });

  it('fails at once on an error that is not transient (403, 404, 412), saying so', async () => {
    for (const code of ['AccessDenied', 'NoSuchKey', 'PreconditionFailed']) {
      const clock = fakeClock();
      const f = flaky([coded(code)]);
      const err = (await withStorageRetry(f.call, { deadlineMs: clock.t + 10_000, clock }).catch(
        (e: unknown) => e,
      )) as StorageRetryError;
      expect(err).toBeInstanceOf(StorageRetryError);
      expect(err).toMatchObject({ attempts: 1, deadlineReached: false });
      expect(err.message).toBe(`${code} (1 attempt(s); not a transient error)`);
      expect(f.calls).toBe(1);
      expect(clock.sleeps).toEqual([]);
    }
  });

  it('gives up once the deadline passed, no delay running past it, and counts the attempts', async () => {
    const clock = fakeClock(0.999999);
    const f = flaky(
      Array.from({ length: 100 }, () => coded('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:9')),
    );
    const start = clock.t;
    const err = (await withStorageRetry(f.call, { deadlineMs: start + 5000, clock }).catch(
      (e: unknown) => e,
    )) as StorageRetryError;
    expect(err).toMatchObject({ deadlineReached: true, attempts: f.calls });
    expect(err.message).toBe(
      `connect ECONNREFUSED 127.0.0.1:9 (${f.calls} attempt(s); retry deadline passed)`,
    );
    // 99 + 199 + 399 + 799 + 1599 = 3095, then 1905 left of the 3199 drawn: the last delay is cut.
    expect(clock.sleeps).toEqual([99, 199, 399, 799, 1599, 1905]);
    expect(clock.t).toBe(start + 5000);
    expect(f.calls).toBe(7);
  });
});

describe('retryStorageCall', () => {
  it('rethrows the last error itself: unchanged after one attempt, with the attempts after several', async () => {
    const once = coded('NoSuchKey', 's3://b/k does not exist');
    await expect(
      retryStorageCall(flaky([once]).call, { deadlineMs: Date.now() + 1000, clock: fakeClock() }),
    ).rejects.toBe(once);
    expect(once.message).toBe('s3://b/k does not exist');

    const clock = fakeClock(0);
    const wrapped = () =>
      new Error('cannot read s3://b/k: connect ECONNREFUSED', { cause: coded('ECONNREFUSED') });
    const f = flaky([wrapped(), wrapped(), wrapped(), wrapped()]);
    clock.sleep = async () => {
      clock.t += 1000;
    };
    const err = (await retryStorageCall(f.call, { deadlineMs: clock.t + 2500, clock }).catch(
      (e: unknown) => e,
    )) as Error;
    expect(err.message).toBe(
      'cannot read s3://b/k: connect ECONNREFUSED (after 4 attempts, retry deadline passed)',
    );
  });
});

describe('ObjectStoreError after retries', () => {
  it('names the object, the attempts and the last code', () => {
    const e = new ObjectStoreError(
      'PUT',
      's3://b/chk-3/state-0.snap',
      new StorageRetryError(coded('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:9000'), 12, true),
    );
    expect(e.message).toBe(
      'PUT s3://b/chk-3/state-0.snap failed after 12 attempts (retry deadline passed): ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9000',
    );
    expect(e).toMatchObject({ code: 'ECONNREFUSED', attempts: 12, object: 's3://b/chk-3/state-0.snap' });
    const denied = new ObjectStoreError(
      'GET',
      's3://b/k',
      new StorageRetryError(coded('AccessDenied', 'denied'), 1, false),
    );
    expect(denied.message).toBe('GET s3://b/k failed: AccessDenied: denied');
  });
});

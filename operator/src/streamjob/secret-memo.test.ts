import { FakeClock } from '../../../test/harness/fake-clock.ts';
import { SecretMemo } from './secret-memo.ts';

describe('SecretMemo', () => {
  const counting = () => {
    let reads = 0;
    return {
      load: (value: string) => async () => {
        reads++;
        return value;
      },
      reads: () => reads,
    };
  };

  it('reads once per recheck period (no jitter drawn)', async () => {
    const clock = new FakeClock();
    const memo = new SecretMemo<string>(clock, 20_000, () => 0);
    const c = counting();
    expect(await memo.get('ns/s', c.load('v1'))).toBe('v1');
    clock.advance(19_999);
    expect(await memo.get('ns/s', c.load('v2'))).toBe('v1');
    expect(c.reads()).toBe(1);
    clock.advance(1);
    expect(await memo.get('ns/s', c.load('v2'))).toBe('v2');
    expect(c.reads()).toBe(2);
    expect(await memo.get('ns/other', c.load('o'))).toBe('o');
    expect(c.reads()).toBe(3);
  });

  it('reads again when the kept value is no longer valid, or forgotten', async () => {
    const memo = new SecretMemo<string>(new FakeClock(), 60_000);
    const c = counting();
    await memo.get('ns/s', c.load('old'));
    expect(await memo.get('ns/s', c.load('new'), (v) => v !== 'old')).toBe('new');
    memo.forget('ns/s');
    expect(await memo.get('ns/s', c.load('newer'))).toBe('newer');
    expect(c.reads()).toBe(3);
  });

  it('keeps what was set, and nothing when the read fails', async () => {
    const memo = new SecretMemo<string>(new FakeClock(), 60_000);
    memo.set('ns/s', 'written');
    expect(await memo.get('ns/s', () => Promise.reject(new Error('not read')))).toBe('written');
    await expect(memo.get('ns/t', () => Promise.reject(new Error('Forbidden')))).rejects.toThrow('Forbidden');
    expect(await memo.get('ns/t', async () => 'later')).toBe('later');
  });

  it('stands for a jittered share of the period: half of it at the largest draw', async () => {
    const clock = new FakeClock();
    const memo = new SecretMemo<string>(clock, 20_000, () => 0.999_999);
    const c = counting();
    await memo.get('ns/s', c.load('v1'));
    clock.advance(9_999);
    expect(await memo.get('ns/s', c.load('v2'))).toBe('v1');
    clock.advance(1);
    expect(await memo.get('ns/s', c.load('v2'))).toBe('v2');
    expect(c.reads()).toBe(2);
  });

  it('sweeps expired entries as new ones are set', async () => {
    const clock = new FakeClock();
    const memo = new SecretMemo<number>(clock, 1_000);
    for (let i = 0; i < 1000; i++) memo.set(`ns/${i}`, i);
    clock.advance(1_000);
    for (let i = 0; i < 1024; i++) memo.set(`ns/new-${i}`, i);
    expect(memo.size).toBe(1024);
  });
});

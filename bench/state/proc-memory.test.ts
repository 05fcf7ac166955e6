import { parseProcStatus, procMemory } from './proc-memory.ts';

describe('parseProcStatus', () => {
  it('reads VmRSS and VmHWM in bytes', () => {
    const text =
      'Name:\tnode\nVmPeak:\t  900000 kB\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\nThreads:\t11\n';
    expect(parseProcStatus(text)).toEqual({ rssBytes: 100 * 1024 * 1024, hwmBytes: 200 * 1024 * 1024 });
  });

  it('gives NaN for a missing field', () => {
    expect(parseProcStatus('Name:\tx\nVmRSS:\t 4 kB\n').hwmBytes).toBeNaN();
  });

  it('reads this process: resident now ≤ peak', () => {
    const m = procMemory(process.pid)!;
    expect(m.rssBytes).toBeGreaterThan(0);
    expect(m.rssBytes).toBeLessThanOrEqual(m.hwmBytes);
  });
});

import { spawn } from 'node:child_process';
import { processCpuMs, processTreeCpuMs } from './process-cpu.ts';

describe('processTreeCpuMs', () => {
  it("counts the CPU time of a process's descendants too", async () => {
    // A child that burns 200 ms of CPU, then idles until killed.
    const child = spawn(process.execPath, [
      '-e',
      'const u=()=>{const c=process.cpuUsage();return (c.user+c.system)/1000};while(u()<200);setInterval(()=>{},1000)',
    ]);
    try {
      const own = () => processCpuMs(process.pid);
      let extra = 0;
      for (let i = 0; i < 300 && extra < 150; i++) {
        await new Promise((r) => setTimeout(r, 50));
        extra = processTreeCpuMs(process.pid) - own();
      }
      expect(extra).toBeGreaterThanOrEqual(150);
      expect(processTreeCpuMs(child.pid!)).toBeGreaterThanOrEqual(150);
      expect(Number.isNaN(processTreeCpuMs(2 ** 22 + 1))).toBe(true);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

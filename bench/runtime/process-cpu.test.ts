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
      // Wait on the child's own figure (the test process may have other children too; on a
      // loaded machine the child needs a while to burn its 200 ms).
      let childMs = 0;
      for (let i = 0; i < 600 && !(childMs >= 150); i++) {
        await new Promise((r) => setTimeout(r, 50));
        childMs = processTreeCpuMs(child.pid!);
      }
      expect(childMs).toBeGreaterThanOrEqual(150);
      // The parent's tree includes the child's time on top of its own (its own time read first:
      // read after the tree, it would include CPU spent between the two reads).
      const own = processCpuMs(process.pid);
      expect(processTreeCpuMs(process.pid) - own).toBeGreaterThanOrEqual(childMs);
      expect(Number.isNaN(processTreeCpuMs(2 ** 22 + 1))).toBe(true);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

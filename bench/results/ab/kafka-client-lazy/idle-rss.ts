// Idle RSS of a wordcount worker at p=1 (generator at 1000 lines/s), read from /proc 10 s after
// running. Usage: node idle-rss.ts <checkout root> (the root whose harness and runtime run).
import { readFileSync } from 'node:fs';
const root = process.argv[2]!;
const { LocalJob } = await import(root + '/test/harness/local-workers.ts');
const { jobOptions, startBenchEnv } = await import(root + '/bench/runtime/lib.ts');
const env = await startBenchEnv();
const out: number[] = [];
try {
  for (let r = 0; r < 3; r++) {
    const o = jobOptions(env, `rss-${r}`, 'wordcount', { input: { generator: { lines: 1e9, rate: 1000 } }, output: { discard: {} } }, 1, { SLUICE_LOG_LEVEL: 'warn' });
    const job = await LocalJob.start(o);
    try {
      await job.waitRunning(60_000);
      await new Promise((res) => setTimeout(res, 10_000));
      const pid = job.workers[0].process.child?.pid ?? job.workers[0].process.pid;
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      out.push(Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024);
    } finally {
      await job.stop();
    }
  }
} finally {
  await env.close();
}
console.log(JSON.stringify({ root, rssMiB: out.map((x) => Math.round(x * 10) / 10) }));

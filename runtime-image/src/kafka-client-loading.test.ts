/**
 * The Kafka client is loaded only by a worker whose job opens a Kafka source or sink
 * (docs/runtime.md "Execution"): loading it costs a worker about half a second of start-up CPU
 * and tens of MiB. Checked in a fresh node process whose module resolve hook counts the
 * resolutions into `@platformatic/kafka`.
 */
import { execFileSync } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const src = dirname(fileURLToPath(import.meta.url));

/** Counts resolutions into the client package in `globalThis.kafkaModules`. */
const HOOK = `
import { registerHooks } from 'node:module';
globalThis.kafkaModules = 0;
registerHooks({
  resolve(specifier, context, next) {
    const r = next(specifier, context);
    if (r.url.includes('/@platformatic/kafka/')) globalThis.kafkaModules++;
    return r;
  },
});
`;

/** Runs `body` (an async module body; `src` is this folder's URL) and returns what it printed. */
function run(body: string): Record<string, number> {
  const script = `const src = ${JSON.stringify(pathToFileURL(src).href)};\n${body}`;
  const out = execFileSync(
    process.execPath,
    ['--import', `data:text/javascript,${encodeURIComponent(HOOK)}`, '--input-type=module', '-e', script],
    { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' }, timeout: 60_000 },
  );
  return JSON.parse(out.trim().split('\n').pop()!) as Record<string, number>;
}

describe('Kafka client loading', () => {
  it('is not loaded by the runtime, the built-in jobs, the job API or defining a Kafka source or sink', () => {
    const counts = run(`
      const { BUILT_IN_JOBS } = await import(src + '/jobs/registry.ts');
      await import(src + '/runtime/worker.ts');
      await import(src + '/checkpoint/restore.ts');
      for (const load of Object.values(BUILT_IN_JOBS)) await load();
      const api = await import(src + '/api/index.ts');
      const afterImports = globalThis.kafkaModules;
      api.kafkaSource({ bootstrapServers: ['127.0.0.1:9092'], topics: ['in'], format: 'text' });
      api.kafkaSink({ bootstrapServers: '127.0.0.1:9092', topic: 'out' });
      const afterDefinitions = globalThis.kafkaModules;
      await import(src + '/sources/kafka-source-reader.ts');
      console.log(JSON.stringify({ afterImports, afterDefinitions, afterReader: globalThis.kafkaModules }));
    `);
    expect(counts.afterImports).toBe(0);
    expect(counts.afterDefinitions).toBe(0);
    // The hook sees the client when something does load it.
    expect(counts.afterReader).toBeGreaterThan(0);
  });
});

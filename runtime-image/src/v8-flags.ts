/**
 * V8 settings of a worker process, applied when this module is evaluated. `main.ts` imports it
 * first, so they are in force before any job code runs, however the worker is started (the
 * image's entrypoint, the local test harness, `node --cpu-prof` in the profiler).
 *
 * `--no-allocation-site-pretenuring`: V8 would otherwise decide per allocation site, from how
 * many of its objects survive the first scavenges, to allocate them in the old generation. When
 * it decides so for a source's records, which live only until their batch is processed, every
 * batch becomes old-generation garbage and the source path runs up to 1.5× slower, depending on
 * timing rather than on the code (docs/runtime.md "What moves the source path: V8's
 * allocation-site pretenuring"). The flag is read by the collector at each scavenge, so setting
 * it at start-up takes effect; V8 flags are refused in `NODE_OPTIONS`, hence not set there.
 */
import { setFlagsFromString } from 'node:v8';

/** The V8 flags every worker runs with (docs/runtime.md "Execution"). */
export const WORKER_V8_FLAGS = ['--no-allocation-site-pretenuring'] as const;

for (const flag of WORKER_V8_FLAGS) setFlagsFromString(flag);

/**
 * Prints the side-by-side comparison of the runtime benchmark as Markdown:
 *
 *   node bench/compare.ts [--sluice bench/results/sluice-runtime.json]
 *                         [--flink bench/results/flink-runtime.json] [--out report.md]
 *
 * Reads whichever of the two results files exist (bench/runtime/run.ts and bench/flink write
 * them), prints provenance, throughput, latency and checkpoint tables with Sluice/Flink ratios
 * and the targets as pass/miss lines (targets.ts). Refuses (exit 1, listing why) to compare two
 * files of different runs, commits, machines or inputs (provenance.ts `pairingProblems`); exits
 * 1 also when neither file exists or one is invalid.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseResults, type EngineResults } from './compare-report.ts';
import { renderComparison } from './comparison-markdown.ts';
import { pairingProblems } from './provenance.ts';

const results = resolve(import.meta.dirname, 'results');
const { values } = parseArgs({
  options: {
    sluice: { type: 'string', default: resolve(results, 'sluice-runtime.json') },
    flink: { type: 'string', default: resolve(results, 'flink-runtime.json') },
    out: { type: 'string' },
  },
});

function load(path: string): EngineResults | undefined {
  if (!existsSync(path)) return undefined;
  return parseResults(JSON.parse(readFileSync(path, 'utf8')) as unknown, path);
}

try {
  const s = load(values.sluice);
  const f = load(values.flink);
  if (!s && !f) {
    console.error(
      `no results: neither ${values.sluice} nor ${values.flink} exists (run bench/runtime/run.ts and the Flink benchmark first)`,
    );
    process.exit(1);
  }
  const problems = s && f ? pairingProblems(s, f) : [];
  if (problems.length) {
    console.error(
      `refusing to compare ${values.sluice} with ${values.flink}:\n- ${problems.join('\n- ')}\n` +
        'Run both sides in one run (make bench-runtime bench-flink, or the same BENCH_RUN_ID) on the same commit and machine with the same inputs.',
    );
    process.exit(1);
  }
  const md = renderComparison(s, f);
  console.log(md);
  if (values.out) writeFileSync(values.out, md);
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}

/**
 * Regenerates the Sluice/Flink tables of docs/benchmarks.md from the committed results files
 * each block names (doc-tables.ts), with the verdict bench/compare.ts prints, and the lost-node
 * recovery table (recovery/node-lost-table.ts) with the verdict node-lost.ts printed, the
 * pod/container/upgrade recovery tables (recovery/recovery-table.ts) with the verdicts
 * recovery/run.ts printed, the Kafka benchmark's tables (kafka/report.ts) with the verdicts
 * bench/kafka/run.ts printed, and the operator scale targets (operator-scale/targets.ts) with the
 * verdicts operator-scale/run.ts printed:
 *
 *   node bench/generate-doc-tables.ts [--doc docs/benchmarks.md] [--check]
 *
 * --check: exits 1 when the doc differs from what would be generated (nothing is written).
 * Exits 1 also when a file is missing or invalid, or when the two files of a block must not be
 * compared (different runs, commits, machines or inputs).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { format, resolveConfig } from 'prettier';
import { parseResults, type EngineResults } from './compare-report.ts';
import { renderBlock, replaceBlocks, replaceMarkedBlocks } from './doc-tables.ts';
import { renderKafkaBlock } from './kafka/report.ts';
import { renderNodeLostBlock, type NodeLostResults } from './recovery/node-lost-table.ts';
import { renderRecoveryBlock, type RecoveryResults } from './recovery/recovery-table.ts';
import { stateDocTable, type StateResults } from './state/report.ts';
import { renderTargetsBlock } from './operator-scale/targets.ts';

const root = resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    doc: { type: 'string', default: resolve(root, 'docs', 'benchmarks.md') },
    check: { type: 'boolean', default: false },
  },
});

function load(path: string): EngineResults {
  const abs = resolve(root, path);
  return parseResults(JSON.parse(readFileSync(abs, 'utf8')) as unknown, path);
}

try {
  const doc = readFileSync(values.doc, 'utf8');
  const tables = replaceBlocks(doc, (src) => `${renderBlock(src, load(src.sluice), load(src.flink))}\n`);
  const withNodeLost = replaceMarkedBlocks(tables, 'bench-node-lost', (attrs) => {
    const file = /^file=(\S+)$/.exec(attrs)?.[1];
    if (!file) throw new Error(`bench-node-lost marker "${attrs}" must name file=<results file>`);
    return renderNodeLostBlock(
      file,
      JSON.parse(readFileSync(resolve(root, file), 'utf8')) as NodeLostResults,
    );
  });
  const withRecovery = replaceMarkedBlocks(withNodeLost, 'bench-recovery', (attrs) => {
    const file = /^file=(\S+)$/.exec(attrs)?.[1];
    if (!file) throw new Error(`bench-recovery marker "${attrs}" must name file=<results file>`);
    return renderRecoveryBlock(
      file,
      JSON.parse(readFileSync(resolve(root, file), 'utf8')) as RecoveryResults,
    );
  });
  const withState = replaceMarkedBlocks(withRecovery, 'bench-state', (attrs) => {
    const m = /^file=(\S+) table=(incremental|memory|throughput)$/.exec(attrs);
    if (!m)
      throw new Error(
        `bench-state marker "${attrs}" must be file=<results file> table=incremental|memory|throughput`,
      );
    const results = JSON.parse(readFileSync(resolve(root, m[1]!), 'utf8')) as StateResults;
    return `\n${stateDocTable(results, m[2] as 'incremental' | 'memory' | 'throughput')}\n\n`;
  });
  const withScale = replaceMarkedBlocks(withState, 'bench-operator-scale', (attrs) => {
    const file = /^file=(\S+)$/.exec(attrs)?.[1];
    if (!file) throw new Error(`bench-operator-scale marker "${attrs}" must name file=<results file>`);
    return renderTargetsBlock(file, JSON.parse(readFileSync(resolve(root, file), 'utf8')) as never);
  });
  const generated = replaceMarkedBlocks(withScale, 'bench-kafka', (attrs) => {
    const file = /^file=(\S+)$/.exec(attrs)?.[1];
    if (!file) throw new Error(`bench-kafka marker "${attrs}" must name file=<results file>`);
    return renderKafkaBlock(file, JSON.parse(readFileSync(resolve(root, file), 'utf8')) as unknown);
  });
  // Formatted as `make lint` formats the doc (table alignment), so --check compares like with like.
  const next = await format(generated, { ...((await resolveConfig(values.doc)) ?? {}), parser: 'markdown' });
  if (values.check) {
    if (next !== doc) {
      console.error(
        `${values.doc} is not what bench/generate-doc-tables.ts generates: run it and commit the result`,
      );
      process.exit(1);
    }
    console.log(`${values.doc}: generated tables are up to date`);
  } else if (next !== doc) {
    writeFileSync(values.doc, next);
    console.log(`${values.doc}: tables regenerated`);
  } else console.log(`${values.doc}: tables already up to date`);
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}

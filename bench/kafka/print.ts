/**
 * Prints a Kafka benchmark results file again — provenance line, tables, the verdicts the run
 * printed — as docs/benchmarks.md shows it (report.ts `renderKafkaBlock`):
 *
 *   node bench/kafka/print.ts [bench/results/kafka.json]
 *
 * Exit 1 when the file is missing or invalid (report.ts `parseKafkaResults`).
 */
import { readFileSync } from 'node:fs';
import { renderKafkaBlock } from './report.ts';

const file = process.argv[2] ?? 'bench/results/kafka.json';
try {
  console.log(
    renderKafkaBlock(file, JSON.parse(readFileSync(file, 'utf8')) as unknown)
      .split('\n')
      .slice(2)
      .join('\n'),
  );
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}

/**
 * Regenerates api/src/streamjob.ts from the StreamJob CRD.
 *
 *   node operator/src/codegen/generate-api-types.ts          # write the file
 *   node operator/src/codegen/generate-api-types.ts --check  # exit 1 when the file is stale
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { REPO_ROOT, TYPES_PATH, renderApiTypesFromRepo } from './api-types.ts';

const check = process.argv.includes('--check');
const generated = await renderApiTypesFromRepo();
const target = relative(REPO_ROOT, TYPES_PATH);
let current = '';
try {
  current = readFileSync(TYPES_PATH, 'utf8');
} catch {
  // absent: treated as stale
}
if (check) {
  if (current !== generated) {
    process.stderr.write(
      `${target} is out of date with crds/; run: node operator/src/codegen/generate-api-types.ts\n`,
    );
    process.exit(1);
  }
  process.stdout.write(`${target} is up to date\n`);
} else if (current !== generated) {
  writeFileSync(TYPES_PATH, generated);
  process.stdout.write(`wrote ${target}\n`);
} else {
  process.stdout.write(`${target} unchanged\n`);
}

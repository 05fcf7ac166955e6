/**
 * Regenerates the API types from the CRDs (api-types.ts API_TYPES_TARGETS: api/src/streamjob.ts,
 * api/src/streamjobsnapshot.ts).
 *
 *   node operator/src/codegen/generate-api-types.ts          # write the files
 *   node operator/src/codegen/generate-api-types.ts --check  # exit 1 when a file is stale
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { API_TYPES_TARGETS, REPO_ROOT, renderApiTypesFromRepo } from './api-types.ts';

const check = process.argv.includes('--check');
let stale = false;
for (const t of API_TYPES_TARGETS) {
  const generated = await renderApiTypesFromRepo(t);
  const target = relative(REPO_ROOT, t.typesPath);
  let current = '';
  try {
    current = readFileSync(t.typesPath, 'utf8');
  } catch {
    // absent: treated as stale
  }
  if (check) {
    if (current !== generated) {
      process.stderr.write(
        `${target} is out of date with crds/; run: node operator/src/codegen/generate-api-types.ts\n`,
      );
      stale = true;
    } else process.stdout.write(`${target} is up to date\n`);
  } else if (current !== generated) {
    writeFileSync(t.typesPath, generated);
    process.stdout.write(`wrote ${target}\n`);
  } else {
    process.stdout.write(`${target} unchanged\n`);
  }
}
if (stale) process.exit(1);

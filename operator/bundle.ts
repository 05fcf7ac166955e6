/**
 * The operator as it ships: one ES module bundled by esbuild from `operator/src/main.ts`, with
 * `@sluice/api` and every npm dependency inlined, so no `node_modules` and no TypeScript at run
 * time (docs/operator.md "Memory at idle": why, and what it saves).
 *
 *   node operator/bundle.ts OUTFILE        e.g. node operator/bundle.ts /tmp/operator.mjs
 *
 * operator/Dockerfile runs this to build the image's `operator.mjs`; bench/operator-scale runs
 * the same function so the benchmark measures the process the image runs. Development runs the
 * sources directly (`node operator/src/main.ts`).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** The entry point bundled: the operator process. */
export const OPERATOR_ENTRY = join(dirname(fileURLToPath(import.meta.url)), 'src', 'main.ts');

/**
 * Bundles the operator into `outfile` (an `.mjs` ES module for Node ≥ 24).
 *
 * Not minified (stack traces stay readable; esbuild marks each inlined file with a
 * `// <path>` comment) and with names kept (`keepNames`: class and function names as in the
 * sources). A banner defines `require` for the CommonJS dependencies (minio's, pino's) that call
 * it for Node's built-in modules, which esbuild's ES module output cannot do on its own
 * (esbuild docs, "format: esm" with platform node).
 * @param outfile absolute path of the module to write (its directory is created)
 * @returns the warnings esbuild printed (none expected)
 * @throws Error from esbuild when a module cannot be resolved or parsed
 */
export async function bundleOperator(outfile: string): Promise<string[]> {
  const result = await build({
    entryPoints: [OPERATOR_ENTRY],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    keepNames: true,
    legalComments: 'eof',
    banner: {
      js: "import { createRequire as __sluiceCreateRequire } from 'node:module';\nconst require = __sluiceCreateRequire(import.meta.url);",
    },
    logLevel: 'silent',
  });
  return result.warnings.map((w) => `${w.location?.file ?? '?'}:${w.location?.line ?? 0}: ${w.text}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const outfile = process.argv[2];
  if (!outfile) {
    process.stderr.write('usage: node operator/bundle.ts OUTFILE\n');
    process.exit(2);
  }
  const started = Date.now();
  const warnings = await bundleOperator(outfile);
  for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
  process.stdout.write(`bundled ${OPERATOR_ENTRY} -> ${outfile} in ${Date.now() - started} ms\n`);
}

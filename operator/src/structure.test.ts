/**
 * The operator's structure rules (docs/operator.md "Architecture"): small hand-written files,
 * imports that run one way down the layers, and no product module that reaches into test support.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

const SRC = import.meta.dirname;
const MAX_LINES = 400;

/**
 * The layers of operator/src, lowest first (docs/operator.md "Architecture"). A module imports
 * only from its own directory and from directories of lower layers; directories on one layer do
 * not import each other. `.` is the operator's top-level files (main, manager, config).
 */
const LAYERS: readonly (readonly string[])[] = [
  ['kube'],
  ['s3'],
  ['streamjob'],
  ['checkpoint'],
  ['lifecycle'],
  ['snapshot'],
  ['reconcile'],
  ['.'],
];

/** Layer index of a source path relative to operator/src; codegen is a build tool, outside the layers. */
function layerOf(file: string): number | undefined {
  const dir = file.includes('/') ? file.split('/')[0]! : '.';
  const i = LAYERS.findIndex((l) => l.includes(dir));
  return i < 0 ? undefined : i;
}

/** Product sources under operator/src (no tests), relative paths. */
function productFiles(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return productFiles(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [relative(SRC, path)] : [];
  });
}

/** The relative import specifiers of a source file. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(SRC, file), 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'(\.[^']+)'/gm)].map((m) => m[1]!);
}

describe('operator/src structure', () => {
  const files = productFiles();

  it('finds the sources', () => {
    expect(files).toContain('manager.ts');
    expect(files).toContain('reconcile/reconciler.ts');
    expect(files.length).toBeGreaterThan(50);
  });

  it(`keeps every hand-written file at ${MAX_LINES} lines or fewer`, () => {
    const long = files
      .map((f) => ({ f, lines: readFileSync(join(SRC, f), 'utf8').split('\n').length - 1 }))
      .filter((x) => x.lines > MAX_LINES)
      .map((x) => `${x.f}: ${x.lines}`);
    expect(long).toEqual([]);
  });

  it('places every directory on a layer', () => {
    const unplaced = [...new Set(files.map((f) => (f.includes('/') ? f.split('/')[0]! : '.')))].filter(
      (d) => d !== 'codegen' && layerOf(`${d}/x.ts`) === undefined,
    );
    expect(unplaced).toEqual([]);
  });

  it('imports only down the layers, never up or sideways', () => {
    const wrong = files
      .filter((f) => layerOf(f) !== undefined)
      .flatMap((f) =>
        importsOf(f)
          .map((i) => relative(SRC, join(SRC, f, '..', i)))
          .filter((target) => !target.startsWith('..'))
          .filter((target) => {
            const from = layerOf(f)!;
            const to = layerOf(target);
            const sameDir = dirname(target) === dirname(f);
            return to === undefined || to > from || (to === from && !sameDir);
          })
          .map((target) => `${f} → ${target}`),
      );
    expect(wrong).toEqual([]);
  });

  it('never imports test support from product code', () => {
    const toTests = files.flatMap((f) =>
      importsOf(f)
        .filter((i) => /\/test\//.test(i))
        .map((i) => `${f} → ${i}`),
    );
    expect(toTests).toEqual([]);
  });
});

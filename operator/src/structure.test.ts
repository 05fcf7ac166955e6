/**
 * The operator's structure rules (docs/operator.md "Architecture"): small hand-written files,
 * the controller runtime (`kube/`) below the StreamJob logic, and no product module that reaches
 * into test support.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const SRC = import.meta.dirname;
const MAX_LINES = 400;

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
    expect(files).toContain('streamjob/reconciler.ts');
    expect(files.length).toBeGreaterThan(50);
  });

  it(`keeps every hand-written file at ${MAX_LINES} lines or fewer`, () => {
    const long = files
      .map((f) => ({ f, lines: readFileSync(join(SRC, f), 'utf8').split('\n').length - 1 }))
      .filter((x) => x.lines > MAX_LINES)
      .map((x) => `${x.f}: ${x.lines}`);
    expect(long).toEqual([]);
  });

  it('keeps kube/ (the controller runtime) free of StreamJob logic', () => {
    const upward = files
      .filter((f) => f.startsWith('kube/'))
      .flatMap((f) =>
        importsOf(f)
          .filter((i) => !i.startsWith('./'))
          .map((i) => `${f} → ${i}`),
      );
    expect(upward).toEqual([]);
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

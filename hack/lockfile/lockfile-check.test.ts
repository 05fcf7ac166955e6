import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { incompleteEntries, type Lockfile } from './lockfile-check.ts';

const root = join(import.meta.dirname, '..', '..');

describe('incompleteEntries', () => {
  it('names an entry with neither version nor integrity (the entries that broke npm ci, issue 17)', () => {
    const lock: Lockfile = {
      lockfileVersion: 3,
      packages: {
        '': { version: '0.1.0' },
        'node_modules/a': { version: '1.0.0', integrity: 'sha512-x' },
        'node_modules/u/node_modules/@unrs/resolver-binding-darwin-x64': {},
      },
    };
    expect(incompleteEntries(lock)).toEqual([
      'node_modules/u/node_modules/@unrs/resolver-binding-darwin-x64: no version, no integrity',
    ]);
  });

  it('names a registry entry without integrity', () => {
    expect(
      incompleteEntries({ lockfileVersion: 3, packages: { 'node_modules/b': { version: '2.0.0' } } }),
    ).toEqual(['node_modules/b: no integrity']);
  });

  it('accepts workspace links, workspace folders and local file: packages without integrity', () => {
    const lock: Lockfile = {
      lockfileVersion: 3,
      packages: {
        operator: { version: '0.1.0' },
        'node_modules/@sluice/operator': { resolved: 'operator', link: true },
        'node_modules/local': { version: '1.0.0', resolved: 'file:../local' },
      },
    };
    expect(incompleteEntries(lock)).toEqual([]);
  });

  it('refuses a lockfile without a packages map', () => {
    expect(incompleteEntries({ lockfileVersion: 1 })).toHaveLength(1);
  });

  it.each([
    'package-lock.json',
    'operator/image-deps/package-lock.json',
    'runtime-image/image-deps/package-lock.json',
  ])('finds the committed %s complete', (file) => {
    const lock = JSON.parse(readFileSync(join(root, file), 'utf8')) as Lockfile;
    expect(incompleteEntries(lock)).toEqual([]);
  });
});

import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeStaleStateDirs } from './state-dirs.ts';

describe('removeStaleStateDirs', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-open-backend-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('removes only this worker’s directories of earlier runs', async () => {
    for (const n of [
      's1-w0-0a1b',
      's1-w0-0a1b-checkpoints',
      's2-w0-ffff0000',
      's1-w1-0a1b',
      's1-w10-0a1b',
      'other',
    ])
      mkdirSync(join(dir, n));
    expect((await removeStaleStateDirs(dir, 0)).sort()).toEqual([
      's1-w0-0a1b',
      's1-w0-0a1b-checkpoints',
      's2-w0-ffff0000',
    ]);
    expect(readdirSync(dir).sort()).toEqual(['other', 's1-w1-0a1b', 's1-w10-0a1b']);
    expect(await removeStaleStateDirs(join(dir, 'new', 'sub'), 3)).toEqual([]);
    expect(existsSync(join(dir, 'new', 'sub'))).toBe(true);
  });
});

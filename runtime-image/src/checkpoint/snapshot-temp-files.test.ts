import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { removeStaleSnapshotTemps, snapshotTempPath } from './snapshot-temp-files.ts';

describe('snapshot temporary files', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-snaptmp-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('removes only the leftovers of the given purpose and subtask', async () => {
    const mine = snapshotTempPath(dir, 'snapwrite', 2);
    expect(basename(mine)).toMatch(/^snapwrite-w2-[0-9a-f]{8}$/);
    const keep = [
      basename(snapshotTempPath(dir, 'snapwrite', 12)),
      basename(snapshotTempPath(dir, 'snaprestore', 2)),
      's1-w2-0123abcd',
      'snapwrite-w2-notahexid',
    ];
    for (const n of [basename(mine), `${basename(mine)}.body`, ...keep]) writeFileSync(join(dir, n), 'x');
    const removed = await removeStaleSnapshotTemps(dir, 'snapwrite', 2);
    expect(removed.sort()).toEqual([basename(mine), `${basename(mine)}.body`].sort());
    expect(readdirSync(dir).sort()).toEqual(keep.sort());
  });

  it('creates the directory when missing', async () => {
    const sub = join(dir, 'state');
    expect(await removeStaleSnapshotTemps(sub, 'snaprestore', 0)).toEqual([]);
    expect(readdirSync(sub)).toEqual([]);
  });
});

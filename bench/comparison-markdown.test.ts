import { flink, sluice } from './compare-fixtures.ts';
import { renderComparison } from './comparison-markdown.ts';

describe('renderComparison', () => {
  it('prints provenance, side-by-side tables with ratios, the targets and notes', () => {
    const md = renderComparison(sluice, flink);
    expect(md).toContain(
      '- Sluice: sluice 0.1.0+abc, node v24.11.1; run run-1, 2026-12-05T10:00:00.000Z, commit abc123; 2 CPUs (Test CPU), 24.0 GiB; load average 0.5 0.4 0.3 at start, 0.9 0.5 0.3 at end; node v24.11.1',
    );
    expect(md).toContain('- Flink: flink 2.1.0, java 21; run run-1');
    expect(md).toContain('java 17.0.15, flink 2.3.0');
    expect(md).toContain('| wordcount | 1 | 1,000 | — | 60,000 | 100,000 | 0.600× | — | — | — |');
    expect(md).toContain(
      '| wordcount | 2 | 1,000 | — | 40,000 | 100,000 | 0.400× | 90,000 | 100,000 | 0.900× |',
    );
    expect(md).toContain(
      '| nexmark-q5 | 2 | 1,000 | object reuse off | 300,000 | 500,000 | 0.600× | 200,000 | 500,000 | 0.400× |',
    );
    // One latency row per Flink buffer timeout, each against Sluice's row.
    expect(md).toContain(
      '| wordcount | 2 | 50,000 | buffer timeout 100 ms | 1.00 | 2.00 | 0.500× | 40.00 | 20.00 | 2.00× |',
    );
    expect(md).toContain(
      '| wordcount | 2 | 50,000 | buffer timeout 5 ms | 1.00 | 0.50 | 2.00× | 40.00 | 8.00 | 5.00× |',
    );
    expect(md).toContain('| 10,000 | 2 | — | 100 | — | — | 49 KiB | — | — | 900 | — | — | — | — | — |');
    // One checkpoint row per Flink backend; restore − fresh only where both report freshStartMs.
    expect(md).toContain(
      '| 1,000,000 | 2 | hashmap | 1,500 | 500 | 3.00× | 3.3 MiB | 6.7 MiB | 0.500× | 2,500 | 5,000 | 0.500× | 1,500 | 1,000 | 1.50× |',
    );
    expect(md).toContain(
      '| 1,000,000 | 2 | rocksdb | 1,500 | 400 | 3.75× | 3.3 MiB | 4.8 MiB | 0.700× | 2,500 | 300 | 8.33× | 1,500 | — | — |',
    );
    expect(md).toContain('## Targets');
    expect(md).toContain('- **miss** — restore of 1M keys < 2 s (issue 7): Sluice 2,500 ms at p=2');
    expect(md).toContain('- a sluice note');
    expect(md).toContain('Flink latency settings (wordcount p=2): flink settings 5');
    expect(md).toContain('State backends: Sluice heap, Flink hashmap, Flink rocksdb.');
  });

  it('gives every table a header with as many columns as its rows', () => {
    const lines = renderComparison(sluice, flink).split('\n');
    const cells = (l: string) => l.split('|').length;
    let checked = 0;
    lines.forEach((l, i) => {
      if (!l.startsWith('| ') || !lines[i + 1]?.startsWith('| ---')) return;
      for (let j = i + 2; lines[j]?.startsWith('| '); j++)
        expect([l, cells(lines[j]!)]).toEqual([l, cells(l)]);
      checked++;
    });
    expect(checked).toBeGreaterThanOrEqual(3);
    expect(lines).toContain(
      '| job | parallelism | events | Flink variant | per worker Sluice | Flink | Sluice/Flink | per CPU-s Sluice | Flink | Sluice/Flink |',
    );
  });

  it('works with one side only', () => {
    const md = renderComparison(undefined, flink);
    expect(md).toContain('- Sluice: no results file');
    expect(md).toContain('| wordcount | 1 | 1,000 | — | — | 100,000 | — | — | — | — |');
    expect(renderComparison({ ...sluice, latency: [] }, undefined)).toContain(
      'lower is better, ratio < 1 favours Sluice)\n\n_no figures_',
    );
  });
});

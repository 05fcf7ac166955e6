import { renderRecoveryBlock, type RecoveryResults } from './recovery-table.ts';

const kill = (recoveryMs: number, connectedMs: number, problem?: string) => ({
  recoveryMs,
  connectedMs,
  phasesMs: {
    newPodsCreated: 5000,
    containersStarted: 7000,
    firstRecord: 9000,
    resumed: recoveryMs,
    connected: connectedMs,
  },
  ...(problem ? { problem } : {}),
});

const results = (): RecoveryResults => ({
  date: '2026-12-06T00:10:00Z',
  provenance: { git: { commit: 'abcdef0123', dirty: false }, loadAverage: { start: [9.5], end: [11] } },
  config: {
    runs: 3,
    parallelism: 2,
    generatorLinesPerSecond: 1000,
    restartPolicy: 'CRD defaults (backoff 5 s)',
  },
  targets: [
    { scenario: 'pod-delete', definition: 'resumed', targetMs: 10_000, pass: false },
    { scenario: 'pod-delete', definition: 'connected', targetMs: 10_000 },
    { scenario: 'savepoint-upgrade', definition: 'resumed', targetMs: 15_000, pass: true },
    { scenario: 'savepoint-upgrade', definition: 'connected', targetMs: 15_000, pass: true },
  ],
  runs: {
    'pod-delete': [
      kill(11_000, 12_000),
      kill(13_000, 14_000),
      kill(30_000, 31_000, 'restored an older checkpoint'),
    ],
    'container-kill': [],
    'savepoint-upgrade': [
      {
        downtimeMs: 9000,
        connectedDowntimeMs: 9500,
        phasesMs: { oldStoppedAfterCommit: 400, newPodsCreated: 3000, resumed: 9000, connected: 9500 },
      },
    ],
  },
});

describe('renderRecoveryBlock', () => {
  it('shows both definitions per scenario over the valid runs, with the verdicts the tool printed', () => {
    const text = renderRecoveryBlock('f.json', results());
    expect(text).toContain(
      'commit abcdef0, 2026-12-06T00:10:00Z, load average 9.5 → 11; valid runs pod-delete 2/3, savepoint-upgrade 1/1; ' +
        'p=2, 1000 lines/s, CRD defaults (backoff 5 s), one StreamJob per run.',
    );
    expect(text).toContain('| pod-delete | kill → resumed | 12.0 | 11.0 | 13.0 | < 10: **MISS** |');
    expect(text).toContain('|  | kill → connected | 13.0 | 12.0 | 14.0 | < 10: NO DATA |');
    expect(text).toContain(
      '| savepoint-upgrade | last record → resumed | 9.0 | 9.0 | 9.0 | < 15: **PASS** |',
    );
    expect(text).toContain('|  | last record → connected | 9.5 | 9.5 | 9.5 | < 15: **PASS** |');
    expect(text).not.toContain('container-kill');
  });

  it('lists the median of each phase, empty where a scenario has no such phase', () => {
    const text = renderRecoveryBlock('f.json', results());
    expect(text).toContain(
      '| medians, s | old workers exited | new pods created | containers started | first worker running | resumed | connected |',
    );
    expect(text).toContain('| pod-delete (since the kill) |  | 5.0 | 7.0 | 9.0 | 12.0 | 13.0 |');
    expect(text).toContain('| savepoint-upgrade (since the last record) | 0.4 | 3.0 |  |  | 9.0 | 9.5 |');
  });

  it('marks a dirty tree and refuses a file without a valid run', () => {
    const dirty = results();
    dirty.provenance.git.dirty = true;
    expect(renderRecoveryBlock('f.json', dirty)).toContain('commit abcdef0 (dirty tree)');
    const none = results();
    none.runs = { 'pod-delete': [kill(1, 1, 'x')], 'container-kill': [], 'savepoint-upgrade': [] };
    expect(() => renderRecoveryBlock('f.json', none)).toThrow('f.json: no valid run to publish');
  });
});

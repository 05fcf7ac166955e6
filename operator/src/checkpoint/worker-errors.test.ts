import { notRestartableFailure, parseTerminationMessage } from './worker-errors.ts';

describe('parseTerminationMessage', () => {
  it('reads the runtime\'s "<Error class>: <message>"', () => {
    expect(parseTerminationMessage('JobLoadError: job entry "x" is not a built-in job')).toEqual({
      errorClass: 'JobLoadError',
      message: 'job entry "x" is not a built-in job',
    });
    expect(parseTerminationMessage('RestoreError: line 1\nline 2\n')).toEqual({
      errorClass: 'RestoreError',
      message: 'line 1\nline 2',
    });
  });

  it('ignores anything else', () => {
    for (const text of [undefined, '', 'killed by SIGKILL', '{"level":"fatal"}', 'Oops: not an error class'])
      expect(parseTerminationMessage(text)).toBeUndefined();
  });
});

describe('notRestartableFailure', () => {
  it.each([
    ['JobLoadError', 'JobLoadFailed', /fix spec\.job\.entry/],
    ['JobConfigError', 'InvalidJobConfig', /fix spec\.job\.config/],
    ['ConfigError', 'InvalidWorkerConfig', /fix the spec/],
    ['RestoreError', 'RestoreRefused', /spec\.initialSavepoint/],
  ])('%s ends the job with reason %s, naming the worker and the runtime message', (cls, reason, fix) => {
    const f = notRestartableFailure([
      { name: 'wc-1-0', terminationMessage: 'killed by SIGKILL' },
      { name: 'wc-1-1', terminationMessage: `${cls}: it is broken` },
    ]);
    expect(f?.reason).toBe(reason);
    expect(f?.message).toContain(`worker wc-1-1 failed with ${cls}: it is broken`);
    expect(f?.message).toMatch(fix);
    expect(f?.message).toContain('sluice.dev/restart');
  });

  it('leaves failures that a new attempt may not repeat to the restart backoff', () => {
    expect(
      notRestartableFailure([
        { name: 'wc-1-0', terminationMessage: 'ShuffleError: lost peer wc-1-1' },
        { name: 'wc-1-1', terminationMessage: 'ObjectStoreError: s3://b/k: connection refused' },
        { name: 'wc-1-2', terminationMessage: 'SnapshotCorruptedError: s3://b/chk-3/w-0: checksum' },
        { name: 'wc-1-3' },
      ]),
    ).toBeUndefined();
  });
});

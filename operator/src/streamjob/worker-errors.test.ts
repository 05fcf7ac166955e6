import { unavailableFailure, notRestartableFailure, parseTerminationMessage } from './worker-errors.ts';

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
    ['KafkaSourceConfigError', 'InvalidSourceConfig', /input\.kafka/],
    ['KafkaSinkConfigError', 'InvalidSinkConfig', /output\.kafka.*spec\.checkpoint/],
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

describe('unavailableFailure', () => {
  it('names the worker, the system and the runtime message of an unavailable Kafka', () => {
    expect(
      unavailableFailure([
        { name: 'k-1-0', terminationMessage: 'ShuffleError: lost peer k-1-1' },
        {
          name: 'k-1-1',
          terminationMessage: 'KafkaUnavailableError: topic events does not exist on kafka:9092',
        },
      ]),
    ).toEqual({
      reason: 'KafkaUnavailable',
      message: 'worker k-1-1 cannot use Kafka: topic events does not exist on kafka:9092',
    });
  });

  it('is undefined for other failures, including errors a restart cannot fix', () => {
    expect(
      unavailableFailure([
        { name: 'k-1-0', terminationMessage: 'KafkaSourceError: topic t partition 0 offset 2: not JSON' },
        { name: 'k-1-1', terminationMessage: 'KafkaSinkConfigError: bad' },
        { name: 'k-1-2' },
      ]),
    ).toBeUndefined();
  });
});

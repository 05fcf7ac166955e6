import { makeJob } from '../../../test/harness/operator-fixtures.ts';
import { MAX_JOB_CONFIG_BYTES, jobConfigProblem } from './spec-limits.ts';

describe('jobConfigProblem', () => {
  const withConfig = (config: Record<string, unknown> | undefined) => {
    const job = makeJob({});
    job.spec.job = { entry: 'wordcount', ...(config ? { config } : {}) };
    return job;
  };

  it('accepts no config and configs up to the limit', () => {
    expect(jobConfigProblem(withConfig(undefined))).toBeUndefined();
    expect(jobConfigProblem(withConfig({ a: 'x'.repeat(MAX_JOB_CONFIG_BYTES - 10) }))).toBeUndefined();
  });

  it('refuses a config past the limit however deep it is nested, saying what to do', () => {
    const deep = { a: { b: { c: ['x'.repeat(MAX_JOB_CONFIG_BYTES)] } } };
    expect(jobConfigProblem(withConfig(deep))).toEqual({
      reason: 'JobConfigTooLarge',
      message: expect.stringMatching(
        /^spec\.job\.config is 16406 bytes as JSON, more than the 16384 allowed .*object storage/,
      ),
    });
  });
});

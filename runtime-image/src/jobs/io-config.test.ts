import { loadJob } from './registry.ts';
import { JobConfigError, sinkFromConfig } from './io-config.ts';

describe('output.kafka of the built-in jobs', () => {
  const kafka = { bootstrapServers: ['kafka:9092'], topic: 'out' };

  it('takes format jsonl (default) or text and refuses anything else naming the field', () => {
    expect(() => sinkFromConfig({ kafka })).not.toThrow();
    expect(() => sinkFromConfig({ kafka: { ...kafka, format: 'text' } })).not.toThrow();
    expect(() => sinkFromConfig({ kafka: { ...kafka, format: 'csv' } })).toThrow(JobConfigError);
    expect(() => sinkFromConfig({ kafka: { ...kafka, format: 'csv' } })).toThrow(/output\.kafka\.format/);
  });
});

describe('built-in wordcount-lines', () => {
  it('is a built-in job', async () => {
    expect(typeof (await loadJob('wordcount-lines'))).toBe('function');
  });
});

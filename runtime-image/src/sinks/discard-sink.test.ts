import pino from 'pino';
import type { OperatorContext } from '../api/types.ts';
import { sinkFromConfig } from '../jobs/io-config.ts';

describe('discard sink', () => {
  it('is chosen by output {discard: {}} and drops records, passing checkpoints with no state', async () => {
    const sink = sinkFromConfig<number>({ discard: {} });
    expect(sink.kind).toBe('discard');
    const w = await sink.open({ log: pino({ level: 'silent' }) } as OperatorContext, undefined);
    for (let i = 0; i < 3; i++) w.write(i, 0);
    const pre = w.preCommit(1);
    expect(pre).toMatchObject({ state: null });
    await pre!.durable;
    await w.commit(1);
    expect(w.ready()).toBeUndefined();
    await w.close();
  });

  it('is named in the error for an unknown output', () => {
    expect(() => sinkFromConfig({ nope: {} })).toThrow(/"s3", "log", "discard" or "kafka"/);
  });
});

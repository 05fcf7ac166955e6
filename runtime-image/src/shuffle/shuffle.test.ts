import pino from 'pino';
import { ShuffleService } from './shuffle.ts';

const service = (boundaries: number) =>
  new ShuffleService({
    subtask: 0,
    parallelism: 2,
    attempt: 0,
    jobUid: 'u',
    peers: ['127.0.0.1:1', '127.0.0.1:2'],
    listenPort: 0,
    listenHost: '127.0.0.1',
    boundaries,
    connectTimeoutMs: 200,
    log: pino({ level: 'silent' }),
    onFatal: () => undefined,
  });

describe('ShuffleService readiness', () => {
  it('is ready at once for a job without keyBy (no connections to make) at parallelism > 1', async () => {
    const s = service(0);
    await s.start();
    expect(s.ready).toBe(true);
    await s.close();
  });
});

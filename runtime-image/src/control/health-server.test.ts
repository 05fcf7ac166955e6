import type { WorkerStatus } from './control.ts';
import { HealthServer, isReady } from './health-server.ts';

const status = (phase: WorkerStatus['phase'], connected: boolean) => ({ phase, connected }) as WorkerStatus;

describe('health endpoint', () => {
  it('is ready only while running or stopping with all peers connected', () => {
    expect(isReady(undefined)).toBe(false);
    expect(isReady(status('starting', true))).toBe(false);
    expect(isReady(status('running', false))).toBe(false);
    expect(isReady(status('running', true))).toBe(true);
    expect(isReady(status('stopping', true))).toBe(true);
    expect(isReady(status('failed', true))).toBe(false);
  });

  it('serves /livez and /readyz over HTTP', async () => {
    let s: WorkerStatus | undefined;
    const h = new HealthServer(0, () => s);
    await h.start();
    const port = (h as unknown as { server: { address(): { port: number } } }).server.address().port;
    try {
      const get = (path: string) => fetch(`http://127.0.0.1:${port}${path}`);
      expect((await get('/livez')).status).toBe(200);
      expect((await get('/readyz')).status).toBe(503);
      s = status('running', true);
      const r = await get('/readyz');
      expect(r.status).toBe(200);
      expect(await r.text()).toBe('running\n');
    } finally {
      await h.close();
    }
  });
});

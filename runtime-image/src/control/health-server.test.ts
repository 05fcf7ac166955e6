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

  it('serves /metrics in Prometheus text format when given a renderer, 404 without', async () => {
    const h = new HealthServer(
      0,
      () => undefined,
      () => 'm_total 1\n',
    );
    const bare = new HealthServer(0, () => undefined);
    await Promise.all([h.start(), bare.start()]);
    const portOf = (x: HealthServer) =>
      (x as unknown as { server: { address(): { port: number } } }).server.address().port;
    try {
      const r = await fetch(`http://127.0.0.1:${portOf(h)}/metrics`);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(await r.text()).toBe('m_total 1\n');
      expect((await fetch(`http://127.0.0.1:${portOf(bare)}/metrics`)).status).toBe(404);
    } finally {
      await Promise.all([h.close(), bare.close()]);
    }
  });
});

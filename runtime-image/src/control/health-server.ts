/**
 * Optional health endpoint for kubelet probes (SLUICE_HEALTH_PORT): `GET /livez` answers 200
 * while the process serves requests; `GET /readyz` answers 200 once the worker runs and is
 * connected to every peer (phase running or stopping), 503 before and after. Body: the phase.
 * `GET /metrics`: the worker's metrics in Prometheus text format (docs/runtime.md "Metrics").
 */
import { createServer, type Server } from 'node:http';
import { PROMETHEUS_CONTENT_TYPE } from '../metrics/prometheus-text.ts';
import type { WorkerStatus } from './control.ts';

/** Whether a worker with this status is ready to take part in the job. */
export function isReady(status: WorkerStatus | undefined): boolean {
  return !!status && status.connected && (status.phase === 'running' || status.phase === 'stopping');
}

export class HealthServer {
  private readonly port: number;
  private readonly status: () => WorkerStatus | undefined;
  private readonly metrics: (() => string) | undefined;
  private server: Server | undefined;

  /**
   * @param status reads the worker's current status
   * @param metrics renders the /metrics body (404 without it)
   */
  constructor(port: number, status: () => WorkerStatus | undefined, metrics?: () => string) {
    this.port = port;
    this.status = status;
    this.metrics = metrics;
  }

  /** Listens on all interfaces. @throws Error when the port cannot be bound */
  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const s = this.status();
      if (req.url === '/livez') res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      else if (req.url === '/readyz') {
        res
          .writeHead(isReady(s) ? 200 : 503, { 'content-type': 'text/plain' })
          .end(`${s?.phase ?? 'starting'}\n`);
      } else if (req.url === '/metrics' && this.metrics) {
        res.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE }).end(this.metrics());
      } else res.writeHead(404).end();
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.port, () => resolve());
    });
  }

  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server!.close(() => r()));
  }
}

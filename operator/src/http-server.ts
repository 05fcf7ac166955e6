/**
 * The operator's HTTP endpoints: `/healthz` (liveness), `/readyz` (readiness) and `/metrics`
 * (Prometheus text format from the injected registry). Probes answer 200 `ok` or 503 with the
 * failing check's message.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** A named check; returns undefined when healthy, else why not. */
export type Check = () => string | undefined;

/** Options of {@link startHttpServer}. */
export interface HttpServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  registry: Registry;
  liveness: Record<string, Check>;
  readiness: Record<string, Check>;
}

/** A listening server and the port it got. */
export interface RunningHttpServer {
  port: number;
  close(): Promise<void>;
}

function runChecks(checks: Record<string, Check>): string[] {
  const failures: string[] = [];
  for (const [name, check] of Object.entries(checks)) {
    const why = check();
    if (why !== undefined) failures.push(`${name}: ${why}`);
  }
  return failures;
}

/**
 * Starts the server.
 * @throws Error (EADDRINUSE, EACCES) when it cannot listen on host:port.
 */
export async function startHttpServer(o: HttpServerOptions): Promise<RunningHttpServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/healthz' || path === '/readyz') {
      const failures = runChecks(path === '/healthz' ? o.liveness : o.readiness);
      res
        .writeHead(failures.length === 0 ? 200 : 503, { 'content-type': 'text/plain; charset=utf-8' })
        .end(failures.length === 0 ? 'ok\n' : `${failures.join('\n')}\n`);
      return;
    }
    if (path === '/metrics') {
      o.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': o.registry.contentType }).end(text),
        (err: unknown) =>
          res
            .writeHead(500, { 'content-type': 'text/plain' })
            .end(`collecting metrics failed: ${String(err)}\n`),
      );
      return;
    }
    res
      .writeHead(404, { 'content-type': 'text/plain' })
      .end('not found: try /metrics, /healthz or /readyz\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

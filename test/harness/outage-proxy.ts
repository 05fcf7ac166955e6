/**
 * A loopback TCP proxy in front of a server (the kube-apiserver, MinIO) that a test can take
 * down and bring back on the same port: `outage()` closes the listener and every connection,
 * so clients get ECONNREFUSED exactly as while the server restarts (or, with `keepOpen`, only
 * new connections fail); `restore()` listens again.
 * TLS passes through untouched (the server's certificate is for 127.0.0.1; ports are not part
 * of certificate checks).
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

/** A running proxy. */
export class OutageProxy {
  readonly #target: { host: string; port: number };
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  #port = 0;

  private constructor(target: { host: string; port: number }) {
    this.#target = target;
  }

  /** Starts a proxy to `targetUrl`'s host and port on a free loopback port. */
  static async start(targetUrl: string): Promise<OutageProxy> {
    const u = new URL(targetUrl);
    const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
    const proxy = new OutageProxy({ host: u.hostname, port });
    await proxy.#listen(0);
    return proxy;
  }

  /** `targetUrl` with the proxy's port instead of the server's. */
  url(targetUrl: string): string {
    const u = new URL(targetUrl);
    u.port = String(this.#port);
    return u.toString().replace(/\/$/, '');
  }

  /**
   * Refuses new connections until {@link restore}; open ones are dropped too unless `keepOpen`
   * (a partial outage: established watches keep delivering, every new request is refused).
   */
  async outage(opts: { keepOpen?: boolean } = {}): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!opts.keepOpen) {
      for (const s of this.#sockets) s.destroy();
      this.#sockets.clear();
    }
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }

  /** Accepts connections again, on the same port. */
  async restore(): Promise<void> {
    if (!this.#server) await this.#listen(this.#port);
  }

  async stop(): Promise<void> {
    await this.outage();
  }

  #listen(port: number): Promise<void> {
    const server = createServer((client) => {
      const upstream = createConnection(this.#target);
      this.#sockets.add(client);
      this.#sockets.add(upstream);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        this.#sockets.delete(client);
        this.#sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    this.#server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        this.#port = (server.address() as { port: number }).port;
        resolve();
      });
    });
  }
}

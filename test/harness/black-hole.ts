/**
 * A loopback listener that accepts TCP connections and never sends a byte: the fault "a server
 * that accepts and never answers" (a storage endpoint, an API server behind a stuck proxy).
 */
import { createServer, type Server, type Socket } from 'node:net';

/** A running black hole; `close()` destroys its connections and stops listening. */
export interface BlackHole {
  server: Server;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Connections currently held open. */
  sockets: Set<Socket>;
  close(): Promise<void>;
}

/** Starts a black hole on a free loopback port. */
export async function blackHole(): Promise<BlackHole> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    server,
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    sockets,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

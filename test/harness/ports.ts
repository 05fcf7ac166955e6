/** Free TCP ports on loopback for the servers the harness starts. */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * The kernel's ephemeral port range (the source ports of outgoing connections), from
 * /proc/sys/net/ipv4/ip_local_port_range; Linux's default when unreadable.
 */
function ephemeralRange(): [number, number] {
  try {
    const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    if (lo && hi) return [lo, hi];
  } catch {
    // not Linux: use its default
  }
  return [32768, 60999];
}

/** Whether 127.0.0.1:`port` can be bound right now (the probe socket is closed again). */
function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** Ports handed out by this process, never handed out twice. */
const given = new Set<number>();

/**
 * A TCP port on 127.0.0.1 that was free a moment ago, for a server started right after. It is
 * picked at random below the kernel's ephemeral range: a port the OS picked (listen on port 0)
 * lies inside that range, where the kernel may hand it to any outgoing connection as its source
 * port between our probe and the server's listen — which made a worker fail with EADDRINUSE in
 * CI. Below the range only another process choosing the same random port can race it.
 * @throws Error when no free port is found after 200 tries
 */
export async function freePort(): Promise<number> {
  const [lo] = ephemeralRange();
  const min = 10_000;
  const max = Math.max(min + 1000, lo - 1);
  for (let i = 0; i < 200; i++) {
    const port = min + Math.floor(Math.random() * (max - min));
    if (given.has(port)) continue;
    if (await bindable(port)) {
      given.add(port);
      return port;
    }
  }
  throw new Error(`no free loopback port in ${min}-${max} after 200 tries`);
}

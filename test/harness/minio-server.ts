/**
 * A real MinIO server on a free loopback port with a temporary data directory and random
 * root credentials. Used by the integration tests' global setup, and directly by tests that
 * need to stop and restart object storage.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { toolPath } from './paths.ts';
import { freePort } from './ports.ts';
import { startServer, stopServer, waitUntilReady, type ServerProcess } from './process.ts';

/** How to reach a MinIO server. `endPoint` is a host name, as the `minio` client expects. */
export interface MinioInfo {
  endPoint: string;
  port: number;
  useSSL: boolean;
  accessKey: string;
  secretKey: string;
  /** http://127.0.0.1:PORT */
  url: string;
}

/** A started MinIO server. */
export interface MinioServer {
  info: MinioInfo;
  process: ServerProcess;
  dataDir: string;
}

/**
 * MinIO's default console port. With the console off (MINIO_BROWSER=off, as here) MinIO still
 * compares its API port with this default and refuses to start when they are equal ("--console-address
 * port cannot be same as --address port"): a random API port of 13333 failed a CI run.
 */
export const MINIO_DEFAULT_CONSOLE_PORT = 13333;

/** A port from `pick` (a free-port source that never repeats a port) that MinIO accepts as its API port. */
export async function minioApiPort(pick: () => Promise<number>): Promise<number> {
  for (;;) {
    const port = await pick();
    if (port !== MINIO_DEFAULT_CONSOLE_PORT) return port;
  }
}

/**
 * Starts MinIO on `dataDir` (created if absent) and waits for `/minio/health/ready`.
 * Restarting on the same `dataDir` with the same `credentials` and `port` keeps all objects.
 * @throws Error with the server's log tail when it does not become ready within 60 s.
 */
export async function startMinio(
  dataDir: string,
  credentials?: { accessKey: string; secretKey: string },
  port?: number,
): Promise<MinioServer> {
  mkdirSync(dataDir, { recursive: true });
  const apiPort = port ?? (await minioApiPort(freePort));
  const consolePort = await freePort();
  const accessKey = credentials?.accessKey ?? `sluice-${randomBytes(4).toString('hex')}`;
  const secretKey = credentials?.secretKey ?? randomBytes(18).toString('base64url');
  const proc = startServer(
    'minio',
    toolPath('minio'),
    [
      'server',
      join(dataDir, 'data'),
      '--address',
      `127.0.0.1:${apiPort}`,
      '--console-address',
      `127.0.0.1:${consolePort}`,
      '--quiet',
    ],
    join(dataDir, 'minio.log'),
    { MINIO_ROOT_USER: accessKey, MINIO_ROOT_PASSWORD: secretKey, MINIO_BROWSER: 'off' },
  );
  const url = `http://127.0.0.1:${apiPort}`;
  try {
    await waitUntilReady(proc, async () => (await fetch(`${url}/minio/health/ready`)).ok, 60_000);
  } catch (err) {
    await stopServer(proc);
    throw err;
  }
  return {
    info: { endPoint: '127.0.0.1', port: apiPort, useSSL: false, accessKey, secretKey, url },
    process: proc,
    dataDir,
  };
}

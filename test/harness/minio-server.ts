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
  const apiPort = port ?? (await freePort());
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

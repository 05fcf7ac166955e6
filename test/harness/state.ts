/** The harness state handed from jest's global setup to test files through a JSON file. */
import { readFileSync } from 'node:fs';
import type { ControlPlaneInfo } from './control-plane.ts';
import type { MinioInfo } from './minio-server.ts';

/** What global setup started. Written to the file named by SLUICE_TEST_ENV. */
export interface HarnessState {
  workDir: string;
  controlPlane: ControlPlaneInfo;
  minio: MinioInfo & { dataDir: string };
}

/** The environment variable naming the state file. */
export const STATE_ENV = 'SLUICE_TEST_ENV';

/**
 * Reads the state written by global setup.
 * @throws Error when the test was not started by the integration project's global setup.
 */
export function readHarnessState(): HarnessState {
  const file = process.env[STATE_ENV];
  if (!file) {
    throw new Error(`${STATE_ENV} is not set: run integration tests through jest (make test-integration)`);
  }
  return JSON.parse(readFileSync(file, 'utf8')) as HarnessState;
}

/** jest global teardown of the integration project: stops the servers and removes their data. */
import { rmSync } from 'node:fs';
import { stopServer } from './process.ts';
import './global-setup.ts';

export default async function globalTeardown(): Promise<void> {
  const handle = globalThis.__sluiceHarness;
  if (!handle) return;
  await Promise.all(handle.processes.map((p) => stopServer(p)));
  if (!process.env.SLUICE_KEEP_TEST_DATA) rmSync(handle.workDir, { recursive: true, force: true });
  globalThis.__sluiceHarness = undefined;
}

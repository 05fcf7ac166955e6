/**
 * jest global setup of the integration project: starts a real etcd + kube-apiserver and a
 * real MinIO (in parallel), installs the CRDs, and publishes their addresses to the test
 * files through a state file (SLUICE_TEST_ENV). Servers die with the jest process
 * (pdeathsig), so an aborted run leaves nothing behind; global teardown stops them cleanly.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { startControlPlane } from './control-plane.ts';
import { installCrds } from './crds.ts';
import { startMinio } from './minio-server.ts';
import type { ServerProcess } from './process.ts';
import { STATE_ENV, type HarnessState } from './state.ts';

/** What teardown needs, kept on globalThis (jest runs setup and teardown in one process). */
export interface HarnessHandle {
  processes: ServerProcess[];
  workDir: string;
}

declare global {
  var __sluiceHarness: HarnessHandle | undefined;
}

export default async function globalSetup(): Promise<void> {
  const t0 = Date.now();
  const say = (m: string) => process.stderr.write(`\n[harness +${Date.now() - t0}ms] ${m}`);
  const workDir = mkdtempSync(join(tmpdir(), 'sluice-it-'));
  say(`starting etcd, kube-apiserver and MinIO under ${workDir}`);
  const [cp, minio] = await Promise.all([startControlPlane(workDir), startMinio(join(workDir, 'minio'))]);
  globalThis.__sluiceHarness = { processes: [...cp.processes, minio.process], workDir };
  say(`control plane ${cp.info.server}, MinIO ${minio.info.url}`);

  const kc = new KubeConfig();
  kc.loadFromFile(cp.info.kubeconfigPath);
  const crds = await installCrds(kc);
  say(`installed CRDs: ${crds.join(', ') || '(none)'}\n`);

  const state: HarnessState = {
    workDir,
    controlPlane: cp.info,
    minio: { ...minio.info, dataDir: minio.dataDir },
  };
  const stateFile = join(workDir, 'state.json');
  writeFileSync(stateFile, JSON.stringify(state), { mode: 0o600 });
  process.env[STATE_ENV] = stateFile;
}

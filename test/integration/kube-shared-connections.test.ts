/**
 * shareConnections against the real kube-apiserver: sequential API requests through client-node
 * reuse one TLS connection instead of opening one each, and a refreshed agent keeps working.
 */
import { readdirSync, readlinkSync } from 'node:fs';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { shareConnections } from '../../operator/src/kube/shared-connections.ts';
import { setupTestEnv, type TestEnv } from '../harness/env.ts';

/** Sockets this process holds open. */
function sockets(): number {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:');
    } catch {
      return false;
    }
  }).length;
}

describe('shareConnections (real kube-apiserver)', () => {
  let env: TestEnv;
  const REQUESTS = 30;

  beforeAll(async () => {
    env = await setupTestEnv('shared-conn');
  });
  afterAll(() => env.cleanup());

  const client = (share: (kc: KubeConfig) => KubeConfig) => {
    const kc = new KubeConfig();
    kc.loadFromFile(env.kubeconfigPath);
    return share(kc).makeApiClient(CoreV1Api);
  };

  /** Sockets opened by REQUESTS sequential reads through `core`. */
  async function socketsOpenedBy(core: CoreV1Api): Promise<number> {
    await core.readNamespace({ name: env.namespace });
    const before = sockets();
    for (let i = 0; i < REQUESTS; i++) await core.readNamespace({ name: env.namespace });
    return sockets() - before;
  }

  it('client-node as shipped opens a connection per request (the reason for the workaround)', async () => {
    expect(await socketsOpenedBy(client((kc) => kc))).toBeGreaterThanOrEqual(REQUESTS / 2);
  });

  it('reuses one connection for sequential requests', async () => {
    expect(await socketsOpenedBy(client((kc) => shareConnections(kc)))).toBeLessThanOrEqual(1);
  });

  it('rebuilds the shared agent after refreshMs, closing the old one, and requests go on', async () => {
    let t = 0;
    const core = client((kc) => shareConnections(kc, 1000, () => t));
    const before = sockets();
    for (let i = 0; i < 10; i++) {
      t += 600; // a new agent every other request
      const ns = await core.readNamespace({ name: env.namespace });
      expect(ns.metadata?.name).toBe(env.namespace);
    }
    // Replaced agents were closed: their connections do not pile up.
    await new Promise((r) => setTimeout(r, 200));
    expect(sockets() - before).toBeLessThanOrEqual(2);
  });
});

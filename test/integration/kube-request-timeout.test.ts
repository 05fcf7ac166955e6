/**
 * boundRequests (kube/request-timeout.ts): an API request to a server that accepts the
 * connection and never answers fails after the deadline with a timeout error, while requests to
 * the real kube-apiserver through the same wrapper succeed and a caller's own abort still works.
 */
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { boundRequests } from '../../operator/src/kube/request-timeout.ts';
import { shareConnections } from '../../operator/src/kube/shared-connections.ts';
import { blackHole, type BlackHole } from '../harness/black-hole.ts';
import { setupTestEnv, type TestEnv } from '../harness/env.ts';

describe('boundRequests (real kube-apiserver, black-hole listener)', () => {
  let env: TestEnv;
  let hole: BlackHole;

  beforeAll(async () => {
    env = await setupTestEnv('request-timeout');
    hole = await blackHole();
  });
  afterAll(async () => {
    await hole.close();
    await env.cleanup();
  });

  /** The harness's admin kubeconfig, bounded to `timeoutMs`, optionally aimed at `server`. */
  const client = (timeoutMs: number, server?: string) => {
    const kc = new KubeConfig();
    kc.loadFromFile(env.kubeconfigPath);
    if (server) {
      const cluster = kc.getCurrentCluster()!;
      kc.clusters = kc.clusters.map((c) => (c.name === cluster.name ? { ...c, server } : c));
    }
    return boundRequests(shareConnections(kc), timeoutMs).makeApiClient(CoreV1Api);
  };

  it('answers within the deadline from the real API server', async () => {
    const ns = await client(5000).readNamespace({ name: env.namespace });
    expect(ns.metadata!.name).toBe(env.namespace);
  });

  it('fails a request to a server that never answers after the deadline, not later', async () => {
    const started = Date.now();
    const url = hole.url.replace('http:', 'https:');
    const err = await client(800, url)
      .readNamespace({ name: env.namespace })
      .then(
        () => undefined,
        (e: unknown) => e as Error,
      );
    const tookMs = Date.now() - started;
    // Without the deadline the request would wait for the black hole forever.
    expect(String(err?.message ?? err)).toMatch(/timeout|aborted/i);
    expect(tookMs).toBeGreaterThanOrEqual(700);
    expect(tookMs).toBeLessThan(5000);
  });

  it('rejects a deadline that is not positive', () => {
    expect(() => boundRequests(new KubeConfig(), 0)).toThrow(/must be > 0 ms/);
  });
});

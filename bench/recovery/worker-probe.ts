/**
 * Watches the workers of a StreamJob's next attempt from the bench's side: when each new worker
 * first answered `/readyz` 200 (running and connected to every peer, docs/runtime.md "Metrics"
 * and runtime-image/src/control/health-server.ts) with every task of it having taken records
 * since it started (records-processed.ts) — "connected and processing past its restored
 * position". Reached through one `kubectl proxy` and the API server's pod proxy to the health
 * port (7071, the operator's default), polled every `pollMs` (ms), so a time is at most about
 * one poll late; the kubelet's readinessProbe (every 1 s) is not involved.
 */
import { spawn } from 'node:child_process';
import { kubeconfig, kubectlPath } from '../../test/e2e/cluster.ts';
import { processedPastRestore } from './records-processed.ts';

/** The worker health port the operator sets (operator/src/streamjob/desired-state.ts). */
const HEALTH_PORT = 7071;

/** A running `kubectl proxy` on a free local port. */
export interface KubeProxy {
  base: string;
  stop: () => void;
}

/** Starts `kubectl proxy --port=0` and waits for the port it serves on. */
export function startKubeProxy(): Promise<KubeProxy> {
  const child = spawn(kubectlPath(), ['proxy', '--port=0'], {
    env: { ...process.env, KUBECONFIG: kubeconfig },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.once('exit', (code) => reject(new Error(`kubectl proxy exited (${code}) before serving`)));
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const port = /Starting to serve on [^:\s]+:(\d+)/.exec(out)?.[1];
      if (port) resolve({ base: `http://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') });
    });
  });
}

type PodList = { items: Array<{ metadata: { name: string; labels?: Record<string, string> } }> };

async function get(url: string): Promise<{ status: number; body: string }> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return { status: r.status, body: await r.text() };
  } catch {
    return { status: 0, body: '' };
  }
}

/** Options of {@link watchNextAttempt}. */
export interface NextAttemptWatch {
  proxy: KubeProxy;
  ns: string;
  job: string;
  /** The attempt before the failure or upgrade; workers of later attempts are watched. */
  afterAttempt: number;
  parallelism: number;
  /** Tasks (stages) per worker: 2 for wordcount (source, keyed count). */
  stages: number;
  pollMs?: number;
}

/** Per new worker: when it first answered /readyz 200, and when it was also processing (ms since the epoch). */
export interface WorkerConnected {
  pod: string;
  readyzAt: number;
  processingAt: number;
}

/**
 * Polls until every worker of one attempt after `afterAttempt` is connected and processing;
 * `stop()` ends the polling. `done` resolves with the per-worker times.
 */
export function watchNextAttempt(o: NextAttemptWatch): {
  done: Promise<WorkerConnected[]>;
  stop: () => void;
} {
  let stopped = false;
  const pollMs = o.pollMs ?? 200;
  const podsUrl = `${o.proxy.base}/api/v1/namespaces/${o.ns}/pods?labelSelector=${encodeURIComponent(`sluice.dev/job=${o.job}`)}`;
  const health = (pod: string, path: string) =>
    `${o.proxy.base}/api/v1/namespaces/${o.ns}/pods/${pod}:${HEALTH_PORT}/proxy/${path}`;
  const done = (async () => {
    const readyz = new Map<string, number>();
    const processing = new Map<string, number>();
    while (!stopped) {
      const started = Date.now();
      const list = await get(podsUrl);
      const pods =
        list.status === 200
          ? (JSON.parse(list.body) as PodList).items.filter(
              (p) => Number(p.metadata.labels?.['sluice.dev/attempt'] ?? 0) > o.afterAttempt,
            )
          : [];
      await Promise.all(
        pods
          .filter((p) => !processing.has(p.metadata.name))
          .map(async (p) => {
            const pod = p.metadata.name;
            const [r, m] = await Promise.all([get(health(pod, 'readyz')), get(health(pod, 'metrics'))]);
            const now = Date.now();
            if (r.status !== 200) return;
            if (!readyz.has(pod)) readyz.set(pod, now);
            if (processedPastRestore(m.body, o.stages)) processing.set(pod, now);
          }),
      );
      const attempts = new Set(pods.map((p) => p.metadata.labels?.['sluice.dev/attempt']));
      if (
        attempts.size === 1 &&
        pods.length === o.parallelism &&
        pods.every((p) => processing.has(p.metadata.name))
      ) {
        return pods.map((p) => ({
          pod: p.metadata.name,
          readyzAt: readyz.get(p.metadata.name)!,
          processingAt: processing.get(p.metadata.name)!,
        }));
      }
      await new Promise((r) => setTimeout(r, Math.max(0, pollMs - (Date.now() - started))));
    }
    return [];
  })();
  return {
    done,
    stop: () => {
      stopped = true;
    },
  };
}

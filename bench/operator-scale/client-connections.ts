/**
 * Diagnostic for the operator scale benchmark: what one Kubernetes API call costs a client-node
 * client, with the library's default connection handling and with one shared dispatcher.
 *
 *   node bench/operator-scale/client-connections.ts [--requests 300]
 *
 * Starts a bare etcd + kube-apiserver (the harness's start function), then times `--requests`
 * sequential `readNamespace` calls with a fresh `KubeConfig` per mode and prints, per mode, the
 * wall time and this process's CPU time per request (ms) and the sockets this process holds
 * before and after (TLS connections to the API server):
 *
 *  - `default`: `KubeConfig.applySecurityAuthentication` as shipped;
 *  - `shared-dispatcher`: the same, but every request reuses the first request's undici
 *    dispatcher (so its keep-alive connections are reused).
 *
 * `default` runs twice (before and after) so that warm-up does not favour either mode.
 */
import { mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { startControlPlane } from '../../test/harness/control-plane.ts';
import { stopServer } from '../../test/harness/process.ts';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '300' } } });
const REQUESTS = Number(values.requests);

/** Sockets open in this process. */
function sockets(): number {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:');
    } catch {
      return false;
    }
  }).length;
}

/** A KubeConfig whose requests all use the dispatcher made for the first one. */
function sharedDispatcher(kc: KubeConfig): KubeConfig {
  const apply = kc.applySecurityAuthentication.bind(kc);
  let shared: ReturnType<Parameters<typeof apply>[0]['getDispatcher']>;
  kc.applySecurityAuthentication = async (ctx) => {
    await apply(ctx);
    shared ??= ctx.getDispatcher();
    if (shared) ctx.setDispatcher(shared);
  };
  return kc;
}

const work = mkdtempSync(join(tmpdir(), 'sluice-client-connections-'));
const cp = await startControlPlane(work);
try {
  console.log(`${REQUESTS} sequential GET /api/v1/namespaces/default per mode, node ${process.version}`);
  for (const mode of ['default', 'shared-dispatcher', 'default'] as const) {
    const kc = new KubeConfig();
    kc.loadFromFile(cp.info.kubeconfigPath);
    const core = (mode === 'default' ? kc : sharedDispatcher(kc)).makeApiClient(CoreV1Api);
    await core.readNamespace({ name: 'default' });
    const s0 = sockets();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < REQUESTS; i++) await core.readNamespace({ name: 'default' });
    const wall = (performance.now() - t0) / REQUESTS;
    const cpu = process.cpuUsage(cpu0);
    console.log(
      `${mode.padEnd(18)} ${wall.toFixed(2)} ms/request wall, ${((cpu.user + cpu.system) / 1000 / REQUESTS).toFixed(2)} ms/request client CPU, sockets ${s0} → ${sockets()}, RSS ${(process.memoryUsage().rss / 1048576).toFixed(0)} MiB`,
    );
  }
} finally {
  await Promise.all(cp.processes.map((p) => stopServer(p)));
  rmSync(work, { recursive: true, force: true });
}
process.exit(0);

/**
 * The operator process: `node operator/src/main.ts [flags]` (see `--help` and docs/operator.md).
 * Logs are JSON lines (pino) on stdout. SIGTERM/SIGINT shut down gracefully (exit 0); losing
 * leadership or a fatal start-up error exits 1.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { CrashPoints } from './checkpoint/crash-points.ts';
import { ConfigError, helpText, loadConfig, type OperatorConfig } from './config.ts';
import { systemClock } from './kube/clock.ts';
import { errField } from './kube/logger.ts';
import { Manager } from './manager.ts';
import { boundRequests } from './kube/request-timeout.ts';
import { shareConnections } from './kube/shared-connections.ts';

function inClusterNamespace(): string | undefined {
  try {
    return (
      readFileSync('/var/run/secrets/kubernetes.io/serviceaccount/namespace', 'utf8').trim() || undefined
    );
  } catch {
    return undefined;
  }
}

const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  process.stdout.write(helpText());
  process.exit(0);
}

let config: OperatorConfig;
let crashPoints: CrashPoints;
try {
  crashPoints = CrashPoints.fromEnv(process.env);
  config = loadConfig(argv, {
    env: process.env,
    hostname: hostname(),
    inClusterNamespace: inClusterNamespace(),
  });
} catch (err) {
  process.stderr.write(`${err instanceof ConfigError ? err.message : String(err)}\n`);
  process.exit(2);
}

const log = pino({
  level: config.logLevel,
  base: { component: 'sluice-operator', identity: config.identity },
  timestamp: pino.stdTimeFunctions.isoTime,
  formatters: { level: (label) => ({ level: label }) },
});

const kubeConfig = new KubeConfig();
try {
  if (config.kubeconfig) kubeConfig.loadFromFile(config.kubeconfig);
  else kubeConfig.loadFromDefault();
  if (!kubeConfig.getCurrentCluster()) throw new Error('no current cluster in the kubeconfig');
  shareConnections(kubeConfig);
  boundRequests(kubeConfig, config.apiTimeoutMs);
} catch (err) {
  log.fatal(
    { ...errField(err) },
    'cannot load Kubernetes credentials: pass --kubeconfig, set KUBECONFIG, or run in a pod',
  );
  process.exit(1);
}

const registry = new Registry();
collectDefaultMetrics({ register: registry });

const manager = new Manager({
  config,
  kubeConfig,
  log,
  registry,
  clock: systemClock,
  crashPoints,
  onLeadershipLost: () => {
    // Another replica may be leading already: stop acting at once, like controller-runtime.
    log.fatal({}, 'leader election lost; exiting');
    process.exit(1);
  },
});

let shuttingDown = false;
async function shutdown(signal: string): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  log.info({ signal }, 'received signal; shutting down gracefully');
  const hardStop = setTimeout(() => {
    log.error({}, 'graceful shutdown timed out; exiting');
    process.exit(1);
  }, config.shutdownTimeoutMs + 10_000);
  hardStop.unref();
  try {
    await manager.stop();
    process.exit(0);
  } catch (err) {
    log.error({ ...errField(err) }, 'error during shutdown');
    process.exit(1);
  }
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('unhandledRejection', (reason) => {
  log.error({ ...errField(reason) }, 'unhandled promise rejection');
});

try {
  await manager.start();
} catch (err) {
  log.fatal({ ...errField(err) }, 'operator failed to start');
  process.exit(1);
}

/**
 * A real Apache Kafka broker for the integration tests that need one: KRaft mode, one process
 * that is both broker and controller, listening on loopback only, with the jars that
 * `hack/tools.sh kafka` fetched from Maven Central (launcher `bin/kafka`, see
 * docs/development.md "Kafka broker").
 *
 * Not part of the global setup: a broker costs about 2–4 s and 300–400 MB RSS, and only the
 * kafka-* test files need one, so each of them starts its own in `beforeAll`:
 *
 *   const broker = await startKafkaBroker(join(env.state.workDir, 'kafka-probe'));
 *   afterAll(() => broker.stop());
 *
 * Like etcd and MinIO it runs under `setpriv --pdeathsig KILL` (process.ts), so it dies with
 * the jest worker that started it.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Admin } from '@platformatic/kafka';
import { toolPath } from './paths.ts';
import { freePort } from './ports.ts';
import { logTail, startServer, stopServer, waitUntilReady, type ServerProcess } from './process.ts';

/** A started broker. */
export interface KafkaBroker {
  /** `127.0.0.1:PORT`, the client listener (PLAINTEXT). */
  bootstrap: string;
  port: number;
  controllerPort: number;
  dataDir: string;
  process: ServerProcess;
  /** SIGTERM (controlled shutdown), SIGKILL after `graceMs`; resolves when the process exited. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL at once: a broker crash. */
  kill(): Promise<void>;
}

/** Options of {@link startKafkaBroker}. */
export interface KafkaBrokerOptions {
  /** Client port; a free one when absent. Pass the previous broker's to restart it in place. */
  port?: number;
  /** Controller (KRaft quorum) port; a free one when absent. */
  controllerPort?: number;
  /** Extra `server.properties` entries, e.g. `{ 'transaction.max.timeout.ms': '60000' }`. */
  properties?: Record<string, string>;
}

/**
 * The `server.properties` of a single-node combined broker + controller on loopback.
 * Replication factors are 1 (one broker), topics are not created implicitly (a missing topic
 * is an error the connectors must report), and the group rebalance delay is 0 so consumer
 * groups form at once.
 */
export function brokerProperties(
  dataDir: string,
  port: number,
  controllerPort: number,
  extra: Record<string, string> = {},
): string {
  const props: Record<string, string> = {
    'process.roles': 'broker,controller',
    'node.id': '1',
    'controller.quorum.voters': `1@127.0.0.1:${controllerPort}`,
    listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': join(dataDir, 'log'),
    'num.partitions': '1',
    'auto.create.topics.enable': 'false',
    'offsets.topic.replication.factor': '1',
    'offsets.topic.num.partitions': '1',
    'transaction.state.log.replication.factor': '1',
    'transaction.state.log.min.isr': '1',
    'transaction.state.log.num.partitions': '1',
    'share.coordinator.state.topic.replication.factor': '1',
    'share.coordinator.state.topic.min.isr': '1',
    'group.initial.rebalance.delay.ms': '0',
    ...extra,
  };
  return Object.entries(props)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n')
    .concat('\n');
}

/** A KRaft cluster id: 16 random bytes, base64url without padding (22 characters). */
function clusterId(): string {
  return randomBytes(16).toString('base64url');
}

const jvmLogging =
  '-Dorg.slf4j.simpleLogger.showDateTime=true ' +
  // The config dumps at start-up are thousands of lines; warnings and errors still show.
  '-Dorg.slf4j.simpleLogger.log.org.apache.kafka.common.config.AbstractConfig=warn ' +
  '-Dorg.slf4j.simpleLogger.log.kafka.server.KafkaConfig=warn';

/**
 * Formats `dataDir` (unless it already holds a formatted log directory, so a broker can be
 * restarted on its data), starts the broker, and waits until it answers a Metadata request
 * listing itself.
 * @throws Error with the broker's log tail when formatting fails or it is not ready within 60 s.
 */
export async function startKafkaBroker(dataDir: string, opts: KafkaBrokerOptions = {}): Promise<KafkaBroker> {
  mkdirSync(dataDir, { recursive: true });
  const port = opts.port ?? (await freePort());
  const controllerPort = opts.controllerPort ?? (await freePort());
  const config = join(dataDir, 'server.properties');
  writeFileSync(config, brokerProperties(dataDir, port, controllerPort, opts.properties));
  const logFile = join(dataDir, 'kafka.log');
  const env = { KAFKA_JAVA_OPTS: jvmLogging };

  if (!existsSync(join(dataDir, 'log', 'meta.properties'))) {
    const format = startServer(
      'kafka-storage-format',
      toolPath('kafka'),
      ['kafka.tools.StorageTool', 'format', `--cluster-id=${clusterId()}`, `--config=${config}`],
      logFile,
      env,
    );
    const code = await new Promise<number | null>((r) => format.child.once('exit', (c) => r(c)));
    if (code !== 0) {
      throw new Error(
        `formatting the Kafka storage in ${dataDir} failed (exit ${code}):\n${logTail(format)}`,
      );
    }
  }

  const proc = startServer('kafka', toolPath('kafka'), ['kafka.Kafka', config], logFile, env);
  const bootstrap = `127.0.0.1:${port}`;
  try {
    await waitUntilReady(proc, () => brokerListsItself(bootstrap), 60_000);
  } catch (err) {
    await stopServer(proc);
    throw err;
  }
  return {
    bootstrap,
    port,
    controllerPort,
    dataDir,
    process: proc,
    stop: (graceMs = 10_000) => stopServer(proc, graceMs),
    kill: async () => {
      if (proc.child.exitCode !== null || proc.child.signalCode !== null) return;
      const exited = new Promise<void>((r) => proc.child.once('exit', () => r()));
      proc.child.kill('SIGKILL');
      await exited;
    },
  };
}

/** True when the broker at `bootstrap` answers Metadata with itself as a broker. */
async function brokerListsItself(bootstrap: string): Promise<boolean> {
  const admin = new Admin({
    clientId: 'sluice-harness-probe',
    bootstrapBrokers: [bootstrap],
    retries: 0,
    timeout: 2000,
  });
  try {
    const md = await admin.metadata({ topics: [] });
    return md.brokers.size > 0;
  } finally {
    await admin.close().catch(() => undefined);
  }
}

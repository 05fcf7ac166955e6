/**
 * Kafka chores inside a kind cluster, for the demo (hack/demo.sh) and the e2e tests
 * (test/e2e/kafka-pipeline.test.ts). The chart's dev broker advertises its Service DNS name
 * (`<release>-kafka.<namespace>.svc:9092`), which only resolves in the cluster, so each chore
 * runs as a short-lived pod of the runtime image (node + @platformatic/kafka), restricted Pod
 * Security Standard, nothing pulled (imagePullPolicy Never), and prints one JSON line.
 *
 *   node hack/kafka/in-cluster.ts create-topic --kubeconfig F --namespace NS --bootstrap B --topic T [--partitions 4]
 *   node hack/kafka/in-cluster.ts read --kubeconfig F --namespace NS --bootstrap B --topic T [--limit 10]
 *
 * `read` prints the records a read_committed consumer sees (see {@link readTopic}), one
 * JSON document per line: {partition, offset, key, value}, at most --limit of them (0: all).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** Where and how to run the pods. */
export interface InClusterOptions {
  /** kubectl binary (default: ./bin/kubectl of the repository). */
  kubectl?: string;
  kubeconfig: string;
  /** Namespace of the pod (it may enforce the `restricted` Pod Security Standard). */
  namespace: string;
  /** The broker's bootstrap address as seen from a pod, `host:port`. */
  bootstrap: string;
  /** Image with node and @platformatic/kafka under /app/node_modules (default sluice-runtime:dev). */
  image?: string;
  /** Whole pod deadline in ms, scheduling included (default 180 000). */
  timeoutMs?: number;
}

/** One record of a topic. `key` and `value` are UTF-8 strings (null when absent). */
export interface TopicRecord {
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
}

/** A chore pod failed: not scheduled, exited non-zero, or timed out; the message has its log tail. */
export class InClusterError extends Error {
  override name = 'InClusterError';
}

const repoRoot = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');

// The program each pod runs (node --input-type=module -e), argv: command, bootstrap, topic, n.
// It prints one line per record read (RECORD <json>) and last a line RESULT <json>.
const podProgram = String.raw`
import { Admin, Consumer, FetchIsolationLevels, stringDeserializers } from '@platformatic/kafka';
const [cmd, bootstrap, topic, n] = process.argv.slice(1);
const brokers = [bootstrap];
const out = [];
async function createTopic(partitions) {
  const admin = new Admin({ clientId: 'sluice-in-cluster', bootstrapBrokers: brokers });
  try {
    const deadline = Date.now() + 90_000;
    for (;;) {
      try { await admin.createTopics({ topics: [topic], partitions, replicas: 1 }); }
      catch (e) { if (!/already exists|TOPIC_ALREADY_EXISTS/i.test(String(e?.message) + JSON.stringify(e?.errors ?? ''))) {
        if (Date.now() > deadline) throw e; console.error('retrying: ' + e.message); await new Promise((r) => setTimeout(r, 2000)); continue; } }
      const md = await admin.metadata({ topics: [topic], forceUpdate: true }).catch(() => undefined);
      const t = md?.topics.get(topic);
      if (t && t.partitions.every((p) => p.leader >= 0)) return { topic, partitions: t.partitionsCount };
      if (Date.now() > deadline) throw new Error('topic ' + topic + ' not served after 90 s');
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally { await admin.close(); }
}
async function read(limit) {
  const consumer = new Consumer({ clientId: 'sluice-in-cluster', groupId: 'sluice-in-cluster-' + Date.now() + '-' + Math.random(),
    bootstrapBrokers: brokers, deserializers: stringDeserializers, maxWaitTime: 200,
    // Small fetches: the client's default (50 MB) decoded at once exceeds the pod's heap.
    maxBytes: 1_048_576, maxBytesPerPartition: 524_288,
    isolationLevel: FetchIsolationLevels.READ_COMMITTED });
  try {
    // Last stable offset per partition: every record a read_committed reader can see lies below.
    const lso = (await consumer.listOffsets({ topics: [topic], isolationLevel: FetchIsolationLevels.READ_COMMITTED })).get(topic) ?? [];
    const first = (await consumer.listOffsets({ topics: [topic], timestamp: -2n })).get(topic) ?? [];
    const got = new Map();
    const seen = lso.map((_, p) => (first[p] ?? 0n) - 1n);
    const kept = lso.map(() => 0);
    // Done when every partition reached its LSO (the last record may be followed by one
    // transaction marker) or, with a limit, holds that many records; or after 5 s without a
    // record (aborted records and markers at the end). With a limit only the first records of
    // each partition are kept (memory: a demo topic grows without bound).
    const done = () => lso.every((o, p) => seen[p] >= o - 2n || (limit > 0 && kept[p] >= limit));
    if (!done()) {
      const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false });
      let last = Date.now();
      const idle = setInterval(() => { if (Date.now() - last > 5000) stream.close().catch(() => {}); }, 500);
      try {
        for await (const m of stream) {
          last = Date.now();
          // A group consumer in mode earliest starts over after a rebalance: key by offset.
          const id = m.partition + '/' + m.offset;
          if (!got.has(id) && (limit === 0 || kept[m.partition] < limit)) {
            got.set(id, { partition: m.partition, offset: String(m.offset), key: m.key ?? null, value: m.value ?? null });
            kept[m.partition]++;
          }
          if (m.offset > seen[m.partition]) seen[m.partition] = m.offset;
          if (done()) break;
        }
      } finally { clearInterval(idle); await stream.close().catch(() => {}); }
    }
    const all = [...got.values()].sort((a, b) => a.partition - b.partition || (BigInt(a.offset) < BigInt(b.offset) ? -1 : 1));
    // One line per record: a container runtime splits long log lines.
    for (const r of limit > 0 ? all.slice(0, limit) : all) out.push('RECORD ' + JSON.stringify(r));
    return { total: limit > 0 ? null : all.length, lastStableOffsets: lso.map(String) };
  } finally { await consumer.close(true); }
}
const result = cmd === 'create-topic' ? await createTopic(Number(n) || 1) : await read(Number(n) || 0);
out.push('RESULT ' + JSON.stringify(result));
// Exit only once stdout is flushed: a container's stdout is a pipe, and process.exit() drops
// what the pipe did not take yet (long reads arrived cut off).
process.stdout.write(out.join('\n') + '\n', () => process.exit(0));
`;

function kubectl(o: InClusterOptions, args: string[], input?: string): Promise<string> {
  const bin = o.kubectl ?? join(repoRoot, 'bin', 'kubectl');
  return new Promise((resolve, reject) => {
    const child = execFile(
      bin,
      ['--kubeconfig', o.kubeconfig, '-n', o.namespace, ...args],
      { maxBuffer: 256 << 20 },
      (err, stdout, stderr) => {
        if (err)
          reject(new InClusterError(`kubectl ${args.slice(0, 3).join(' ')}: ${stderr || err.message}`));
        else resolve(stdout);
      },
    );
    child.stdin?.end(input ?? '');
  });
}

/**
 * Runs the pod program with `args` in a fresh pod, waits until it ends, and returns the JSON
 * document of its RESULT line. The pod is deleted afterwards, also on failure.
 * @throws InClusterError when the pod fails or does not finish within `timeoutMs`
 */
async function runPod<T>(
  o: InClusterOptions,
  args: string[],
): Promise<{ result: T; records: TopicRecord[] }> {
  const name = `sluice-kafka-${args[0]}-${randomBytes(3).toString('hex')}`;
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { 'app.kubernetes.io/name': 'sluice-kafka-chore' } },
    spec: {
      restartPolicy: 'Never',
      automountServiceAccountToken: false,
      securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        {
          name: 'chore',
          image: o.image ?? 'sluice-runtime:dev',
          imagePullPolicy: 'Never',
          workingDir: '/app',
          command: ['node', '--input-type=module', '-e', podProgram, ...args],
          resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '384Mi' } },
          securityContext: {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            runAsNonRoot: true,
            capabilities: { drop: ['ALL'] },
          },
        },
      ],
    },
  };
  await kubectl(o, ['create', '-f', '-', '-o', 'name'], JSON.stringify(pod));
  const deadline = Date.now() + (o.timeoutMs ?? 180_000);
  try {
    let phase = '';
    while (Date.now() < deadline) {
      phase = (await kubectl(o, ['get', 'pod', name, '-o', 'jsonpath={.status.phase}'])).trim();
      if (phase === 'Succeeded' || phase === 'Failed') break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    const log = await kubectl(o, ['logs', name]).catch((e: Error) => e.message);
    const line = log.split('\n').find((l) => l.startsWith('RESULT '));
    if (phase !== 'Succeeded' || !line) {
      // The container's own end (e.g. OOMKilled, exit code) says more than an empty log.
      const ended = await kubectl(o, [
        'get',
        'pod',
        name,
        '-o',
        'jsonpath={.status.containerStatuses[0].state.terminated.reason} (exit {.status.containerStatuses[0].state.terminated.exitCode})',
      ]).catch(() => '');
      throw new InClusterError(
        `pod ${o.namespace}/${name} ended ${phase || 'not at all'} ${ended}:\n${log.split('\n').slice(-15).join('\n')}`,
      );
    }
    const records = log
      .split('\n')
      .filter((l) => l.startsWith('RECORD '))
      .map((l) => JSON.parse(l.slice('RECORD '.length)) as TopicRecord);
    return { result: JSON.parse(line.slice('RESULT '.length)) as T, records };
  } finally {
    await kubectl(o, ['delete', 'pod', name, '--wait=false', '--ignore-not-found']).catch(() => undefined);
  }
}

/**
 * Creates `topic` with `partitions` partitions (replication factor 1) unless it exists, and
 * waits until every partition has a leader. Retries while the broker is still starting (90 s).
 * @returns the topic's partition count (that of the existing topic when it already existed)
 * @throws InClusterError when the pod fails or times out
 */
export async function createTopic(o: InClusterOptions, topic: string, partitions: number): Promise<number> {
  const r = await runPod<{ partitions: number }>(o, ['create-topic', o.bootstrap, topic, String(partitions)]);
  return r.result.partitions;
}

/**
 * Every record of `topic` a read_committed consumer sees, in (partition, offset) order: reads
 * from the earliest offset up to each partition's last stable offset at the start (records of
 * open transactions are not included; those of aborted ones are skipped by the broker), or until
 * 5 s pass without a record. `total` is the number of records read. `limit` > 0 returns only
 * the first `limit` records, reading no more than `limit` per partition (a growing topic need not
 * fit in the pod's memory); `total` is then null (not counted).
 * @throws InClusterError when the pod fails or times out
 */
export async function readTopic(
  o: InClusterOptions,
  topic: string,
  limit = 0,
): Promise<{ total: number | null; lastStableOffsets: string[]; records: TopicRecord[] }> {
  const r = await runPod<{ total: number | null; lastStableOffsets: string[] }>(o, [
    'read',
    o.bootstrap,
    topic,
    String(limit),
  ]);
  if (limit === 0 && r.records.length !== r.result.total) {
    throw new InClusterError(
      `reading ${topic}: the pod printed ${r.records.length} records of ${r.result.total}`,
    );
  }
  return { ...r.result, records: r.records };
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      kubeconfig: { type: 'string' },
      namespace: { type: 'string', default: 'default' },
      bootstrap: { type: 'string' },
      topic: { type: 'string' },
      partitions: { type: 'string', default: '1' },
      limit: { type: 'string', default: '10' },
      image: { type: 'string' },
    },
  });
  const [cmd] = positionals;
  if (!values.kubeconfig || !values.bootstrap || !values.topic) {
    throw new Error('--kubeconfig, --bootstrap and --topic are required');
  }
  const o: InClusterOptions = {
    kubeconfig: values.kubeconfig,
    namespace: values.namespace,
    bootstrap: values.bootstrap,
    ...(values.image ? { image: values.image } : {}),
  };
  if (cmd === 'create-topic') {
    const n = await createTopic(o, values.topic, Number(values.partitions));
    console.log(`topic ${values.topic}: ${n} partitions`);
  } else if (cmd === 'read') {
    const r = await readTopic(o, values.topic, Number(values.limit));
    for (const rec of r.records) console.log(JSON.stringify(rec));
    console.log(
      `(${r.records.length} ${r.total === null ? '' : `of ${r.total} `}committed records shown; ` +
        `last stable offsets per partition: ${r.lastStableOffsets.join(', ')})`,
    );
  } else {
    throw new Error(
      'usage: in-cluster.ts create-topic|read --kubeconfig F --namespace NS --bootstrap B --topic T',
    );
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err: unknown) => {
    console.error(`FAILED: ${(err as Error).message}`);
    process.exit(1);
  });
}

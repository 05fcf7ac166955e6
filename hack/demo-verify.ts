/**
 * The demo's self-check (hack/demo.sh): exits 1 with a clear message unless the StreamJob
 * completes a checkpoint within --checkpoint-timeout seconds and its workers' sources read more
 * records within --progress-timeout seconds (hack/demo-verify/verdict.ts).
 *
 *   node hack/demo-verify.ts --kubeconfig FILE --namespace NS --job NAME
 *        [--checkpoint-timeout 150] [--progress-timeout 90] [--interval 5]
 *
 * Reads the job through the API server and the workers' /metrics through its pod proxy
 * (hack/demo-verify/kube-readers.ts).
 */
import { KubeConfig } from '@kubernetes/client-node';
import { parseArgs } from 'node:util';
import { podProxyRecordsReader, streamJobReader } from './demo-verify/kube-readers.ts';
import { verifyJob } from './demo-verify/verify-job.ts';

const { values } = parseArgs({
  options: {
    kubeconfig: { type: 'string' },
    namespace: { type: 'string', default: 'default' },
    job: { type: 'string' },
    'checkpoint-timeout': { type: 'string', default: '150' },
    'progress-timeout': { type: 'string', default: '90' },
    interval: { type: 'string', default: '5' },
  },
});

function seconds(name: string): number {
  const v = Number(values[name as keyof typeof values]);
  if (!(v > 0)) throw new Error(`--${name} must be a positive number of seconds`);
  return v * 1000;
}

async function main(): Promise<void> {
  if (!values.job) throw new Error('--job is required');
  const kc = new KubeConfig();
  if (values.kubeconfig) kc.loadFromFile(values.kubeconfig);
  else kc.loadFromDefault();
  const bounds = { checkpointMs: seconds('checkpoint-timeout'), progressMs: seconds('progress-timeout') };
  console.error(
    `verifying StreamJob ${values.namespace}/${values.job}: a checkpoint within ${bounds.checkpointMs / 1000} s, ` +
      `more records read within ${bounds.progressMs / 1000} s`,
  );
  const v = await verifyJob(
    {
      readJob: streamJobReader(kc, values.namespace, values.job),
      readRecords: podProxyRecordsReader(kc, values.namespace, values.job),
      intervalMs: seconds('interval'),
      log: (l) => console.error(l),
    },
    bounds,
  );
  if (v.state === 'fail') {
    console.error(`FAILED: StreamJob ${values.namespace}/${values.job}: ${v.message}`);
    process.exit(1);
  }
  console.error(`ok: StreamJob ${values.namespace}/${values.job}: ${v.message}`);
}

main().catch((err: unknown) => {
  console.error(
    `FAILED: cannot verify StreamJob ${values.namespace}/${values.job ?? '?'}: ${(err as Error).message}`,
  );
  process.exit(1);
});

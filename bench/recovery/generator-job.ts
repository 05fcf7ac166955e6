/**
 * The StreamJob both recovery benchmarks run (run.ts, node-lost.ts): the built-in wordcount over
 * an unbounded generator (4 partitions, 1000 words, 8 words a line, seed 1) at `rate` lines/s for
 * the whole job, into the exactly-once S3 sink under `outputs/<ns>/<name>/`, checkpoints every
 * `intervalS` s (timeout 60 s, 2 retained), small worker resources. `spec` adds or overrides
 * fields (upgradeMode, restartPolicy, ...).
 */
import { runtimeImage } from '../../test/e2e/cluster.ts';

/** Options of {@link generatorWordcount}. */
export interface GeneratorWordcountOptions {
  ns: string;
  name: string;
  /** Lines per second for the whole job. */
  rate: number;
  parallelism: number;
  /** Checkpoint interval, s. */
  intervalS: number;
  spec?: Record<string, unknown>;
}

/** The StreamJob manifest; see the module comment. */
export function generatorWordcount(o: GeneratorWordcountOptions): Record<string, unknown> {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'StreamJob',
    metadata: { name: o.name },
    spec: {
      image: runtimeImage,
      job: {
        entry: 'wordcount',
        config: {
          // No `lines`: an unbounded generator.
          input: { generator: { rate: o.rate, partitions: 4, vocabulary: 1000, wordsPerLine: 8, seed: 1 } },
          output: { s3: { prefix: `outputs/${o.ns}/${o.name}/` } },
        },
      },
      parallelism: o.parallelism,
      maxParallelism: 128,
      checkpoint: { intervalSeconds: o.intervalS, timeoutSeconds: 60, retained: 2 },
      podTemplate: {
        resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
      },
      ...o.spec,
    },
  };
}

/**
 * Exactly-once S3 sink by two-phase commit (the scheme of Flink's TwoPhaseCommitSinkFunction /
 * FileSink, on plain objects):
 *
 *   in progress  records are buffered; every `rollBytes` the buffer is uploaded as a part file
 *                under `<prefix>_tmp/` (invisible to readers of `<prefix>`);
 *   pending      at barrier N the rest of the buffer is uploaded too, and the part files since
 *                barrier N−1 become transaction N, listed in the snapshot of checkpoint N;
 *   committed    when checkpoint N is complete (the commit notice ≥ N), every transaction
 *                ≤ N is committed: each part file is copied to `<prefix><name>` and its
 *                temporary object deleted. Committing is idempotent.
 *
 * On restore, subtask 0 re-commits every transaction the snapshot lists as pending (all old
 * subtasks' states are given to it; each under the prefix it was written to, and only this job's
 * part files — a snapshot of another job lists output that job commits itself) and deletes the
 * temporary part files of this job's earlier
 * attempts — output of the failed attempt after the checkpoint is discarded, and the replay
 * produces it again. Part files of other jobs writing under the same prefix are never touched.
 *
 * Part file names: `part-<job uid>-a<attempt>-s<subtask>-<run>-<seq>.<ext>`; the job uid keeps
 * jobs that share an output prefix apart (docs/runtime.md), `run` is random per process so names
 * never collide even if an attempt number were reused.
 */
import { randomBytes } from 'node:crypto';
import type { ObjectStore } from '../io/object-store.ts';
import type { OperatorContext, PreCommitResult, Sink, SinkWriter } from '../api/types.ts';

/** Options of the S3 sink. */
export interface S3SinkOptions {
  /** Bucket (default: the job's storage bucket). */
  bucket?: string;
  /** Output key prefix, e.g. `output/` (committed files go directly under it). */
  prefix: string;
  /** `jsonl` (default): JSON.stringify per record; `text`: String(record). One record per line. */
  format?: 'jsonl' | 'text';
  /** Bytes buffered before a part file is uploaded while in progress (default 8 MiB). */
  rollBytes?: number;
}

/** A pre-committed transaction: the part files (names under `<prefix>_tmp/`) of checkpoint `checkpointId`. */
export interface PendingTransaction {
  checkpointId: number;
  files: string[];
}

/** Operator state of one sink subtask. */
export interface S3SinkState {
  subtask: number;
  attempt: number;
  pending: PendingTransaction[];
  /**
   * The output prefix the pending part files were written under (absent in snapshots taken
   * before it was recorded: the current prefix is assumed). A restore commits them there, even
   * when the restoring job writes elsewhere (a spec change of the prefix).
   */
  prefix?: string;
}

/** Key of the temporary (in-progress / pending) part file `name`. */
export function tempKey(prefix: string, name: string): string {
  return `${prefix}_tmp/${name}`;
}

/** Key of the committed part file `name`. */
export function finalKey(prefix: string, name: string): string {
  return `${prefix}${name}`;
}

/** Name of part file `seq` of subtask `subtask` in attempt `attempt` of job `jobUid`, process run `run`. */
export function partName(
  jobUid: string,
  attempt: number,
  subtask: number,
  run: string,
  seq: number,
  ext: string,
): string {
  return `part-${jobUid}-a${attempt}-s${subtask}-${run}-${String(seq).padStart(6, '0')}.${ext}`;
}

/**
 * Job uid and attempt encoded in a part file name, or undefined for names not of this form
 * (another writer's files, or part files named before the uid was part of the name).
 */
export function parsePartName(name: string): { jobUid: string; attempt: number } | undefined {
  const m = /^part-(.+)-a(\d+)-s\d+-[0-9a-f]+-\d+\.\w+$/.exec(name);
  return m ? { jobUid: m[1]!, attempt: Number(m[2]) } : undefined;
}

/**
 * Commits one part file: copy temp → final, delete temp. Idempotent: when the temporary object is
 * gone and the final one exists, it was committed before.
 * @throws Error naming both objects when neither exists (the output of a completed checkpoint was lost)
 */
export async function commitPart(
  store: ObjectStore,
  prefix: string,
  name: string,
  checkpointId: number,
): Promise<void> {
  const tmp = tempKey(prefix, name);
  const fin = finalKey(prefix, name);
  if ((await store.size(tmp)) !== undefined) {
    await store.copy(tmp, fin);
    await store.remove([tmp]);
    return;
  }
  if ((await store.size(fin)) !== undefined) return;
  throw new Error(
    `pending output ${store.url(tmp)} of checkpoint ${checkpointId} is missing and was never committed to ${store.url(fin)}`,
  );
}

async function inBatches<T>(items: T[], width: number, fn: (t: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += width) await Promise.all(items.slice(i, i + width).map(fn));
}

/** The exactly-once S3 sink. */
export function s3Sink<T>(opts: S3SinkOptions): Sink<T> {
  const rollBytes = opts.rollBytes ?? 8 * 1024 * 1024;
  const format = opts.format ?? 'jsonl';
  const ext = format === 'jsonl' ? 'jsonl' : 'txt';
  return {
    kind: 's3',
    async open(ctx: OperatorContext, restored: unknown[] | undefined): Promise<SinkWriter<T>> {
      const store = opts.bucket ? ctx.storeFor(opts.bucket) : ctx.store;
      const prefix = opts.prefix;
      if (ctx.subtask === 0) await recover(ctx, store, prefix, (restored ?? []) as S3SinkState[]);

      const run = randomBytes(3).toString('hex');
      let seq = 0;
      let chunks: string[] = [];
      let bytes = 0;
      let txnFiles: string[] = [];
      const uploads = new Map<string, Promise<void>>();
      let failure: Error | undefined;
      const pending: PendingTransaction[] = [];
      let committing: Promise<void> = Promise.resolve();

      const roll = () => {
        if (chunks.length === 0) return;
        const name = partName(ctx.jobUid, ctx.attempt, ctx.subtask, run, seq++, ext);
        const body = Buffer.from(chunks.join(''), 'utf8');
        chunks = [];
        bytes = 0;
        txnFiles.push(name);
        const p = store.put(tempKey(prefix, name), body).then(
          () => {
            uploads.delete(name);
          },
          (err: unknown) => {
            failure ??= err as Error;
            uploads.delete(name);
            throw err;
          },
        );
        p.catch(() => undefined);
        uploads.set(name, p);
      };

      return {
        write(value) {
          const line = (format === 'jsonl' ? JSON.stringify(value) : String(value)) + '\n';
          chunks.push(line);
          bytes += line.length;
          if (bytes >= rollBytes) roll();
        },
        preCommit(checkpointId): PreCommitResult {
          roll();
          if (txnFiles.length > 0) pending.push({ checkpointId, files: txnFiles });
          txnFiles = [];
          const state: S3SinkState = {
            subtask: ctx.subtask,
            attempt: ctx.attempt,
            prefix,
            pending: pending.map((t) => ({ checkpointId: t.checkpointId, files: [...t.files] })),
          };
          // Every upload in flight belongs to this or an earlier transaction.
          return { state, durable: Promise.all([...uploads.values()]).then(() => undefined) };
        },
        commit(checkpointId) {
          // Serialised: a commit of N+1 must not start while N is still copying.
          committing = committing.then(async () => {
            if (failure) throw failure;
            while (pending.length > 0 && pending[0]!.checkpointId <= checkpointId) {
              const txn = pending[0]!;
              await inBatches(txn.files, 8, (f) => commitPart(store, prefix, f, txn.checkpointId));
              pending.shift();
              ctx.log.debug(
                { checkpointId: txn.checkpointId, files: txn.files.length },
                'sink transaction committed',
              );
            }
          });
          return committing;
        },
        ready() {
          if (failure) return Promise.reject(failure);
          if (uploads.size <= 2) return undefined;
          return Promise.race(uploads.values());
        },
        async close() {
          await Promise.allSettled(uploads.values());
        },
      };
    },
  };
}

/**
 * Whether part file `name` is this job's to commit: named with its uid, or with no uid at all
 * (named before uids were part of names). A snapshot of another job (a StreamJob started from
 * its savepoint) lists that job's pending output, which that job commits itself.
 */
export function ownPart(name: string, jobUid: string): boolean {
  const part = parsePartName(name);
  return part === undefined || part.jobUid === jobUid;
}

/**
 * Restore-time recovery (subtask 0 only): commit everything the snapshot lists as pending —
 * under the prefix it was written to, and only this job's part files (ownPart) — then delete
 * temporary part files of this job's earlier attempts (never another job's: jobs may share an
 * output prefix).
 */
async function recover(
  ctx: OperatorContext,
  store: ObjectStore,
  prefix: string,
  states: S3SinkState[],
): Promise<void> {
  let committed = 0;
  let foreign = 0;
  for (const s of states) {
    const at = s.prefix ?? prefix;
    for (const txn of s.pending ?? []) {
      const own = txn.files.filter((f) => ownPart(f, ctx.jobUid));
      foreign += txn.files.length - own.length;
      await inBatches(own, 8, (f) => commitPart(store, at, f, txn.checkpointId));
      committed += own.length;
    }
  }
  if (foreign > 0) {
    ctx.log.info({ foreign }, "restored another job's snapshot: its pending output is that job's to commit");
  }
  const stale = (await store.list(`${prefix}_tmp/`)).filter((o) => {
    const part = parsePartName(o.key.slice(prefix.length + '_tmp/'.length));
    return part !== undefined && part.jobUid === ctx.jobUid && part.attempt < ctx.attempt;
  });
  await store.remove(stale.map((o) => o.key));
  if (committed > 0 || stale.length > 0) {
    ctx.log.info({ recommitted: committed, discarded: stale.length }, 'sink recovered pending output');
  }
}

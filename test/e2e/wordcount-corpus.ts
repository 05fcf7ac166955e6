/**
 * The jest side of the e2e wordcount helpers: a corpus uploaded to the dev MinIO with its
 * reference count (test/harness/wordcount-reference.ts), and snapshot-object assertions.
 */
import { expect } from '@jest/globals';
import { corpus, reference } from '../harness/wordcount-reference.ts';
import { mcPut } from './cluster.ts';
import { expectedSnapshotObjects, snapshotObjects } from './streamjob-helpers.ts';

/** A bounded wordcount input in MinIO and what the job must commit for it. */
export interface Corpus {
  bucket: string;
  /** Key prefix of the corpus objects, e.g. `inputs/<ns>/<job>/`. */
  prefix: string;
  /** Sorted "word count" strings: every `{word, count}` an exactly-once run commits. */
  expected: string[];
  lines: number;
}

/**
 * Uploads `objects` text objects of `lines` lines each (test/harness/wordcount-reference.ts,
 * seeded) under `prefix` in `bucket` and returns the reference output.
 */
export async function uploadCorpus(
  bucket: string,
  prefix: string,
  objects: number,
  lines: number,
  seed: number,
): Promise<Corpus> {
  const texts = corpus(objects, lines, seed);
  for (const [file, text] of texts) await mcPut(`dev/${bucket}/${prefix}${file}`, text);
  return { bucket, prefix, expected: reference(texts.values()), lines: objects * lines };
}

/** Asserts the objects of a snapshot directory: `_metadata` and one `state-<i>.snap` per subtask. */
export async function expectCheckpointObjects(
  bucket: string,
  path: string,
  parallelism: number,
): Promise<void> {
  expect(await snapshotObjects(bucket, path)).toEqual(expectedSnapshotObjects(parallelism));
}

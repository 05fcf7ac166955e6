/**
 * Resolves SLUICE_JOB_ENTRY: a built-in job name, or the path of a module (absolute, or
 * relative to the working directory) whose default export is a job definition.
 */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { JobDefinition } from '../api/stream.ts';

/** Built-in jobs shipped in the image. */
export const BUILT_IN_JOBS: Record<string, () => Promise<JobDefinition>> = {
  wordcount: async () => (await import('./wordcount.ts')).default,
  'wordcount-lines': async () => (await import('./wordcount-lines.ts')).default,
  'nexmark-q0': async () => (await import('./nexmark-q0.ts')).default,
  'nexmark-q1': async () => (await import('./nexmark-q1.ts')).default,
  'nexmark-q2': async () => (await import('./nexmark-q2.ts')).default,
  'nexmark-q5': async () => (await import('./nexmark-q5.ts')).default,
  'nexmark-q7': async () => (await import('./nexmark-q7.ts')).default,
};

/** The entry could not be loaded. */
export class JobLoadError extends Error {
  override name = 'JobLoadError';
}

/**
 * Loads the job definition named by `entry`.
 * @throws JobLoadError naming the entry when it is neither a built-in nor a loadable module with a default export
 */
export async function loadJob(entry: string): Promise<JobDefinition> {
  const builtIn = BUILT_IN_JOBS[entry];
  if (builtIn) return builtIn();
  if (!entry.includes('/') && !entry.endsWith('.ts') && !entry.endsWith('.js')) {
    throw new JobLoadError(
      `job entry ${JSON.stringify(entry)} is not a built-in job (${Object.keys(BUILT_IN_JOBS).join(', ')}) nor a module path`,
    );
  }
  const path = isAbsolute(entry) ? entry : resolve(process.cwd(), entry);
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(path).href)) as { default?: unknown };
  } catch (err) {
    throw new JobLoadError(`cannot load job module ${path}: ${(err as Error).message}`, { cause: err });
  }
  if (typeof mod.default !== 'function') {
    throw new JobLoadError(
      `job module ${path} has no default export of a job definition (export default defineJob(...))`,
    );
  }
  return mod.default as JobDefinition;
}

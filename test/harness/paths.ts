/** Filesystem locations the harness needs: the repository root and the pinned tools in ./bin. */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of the repository root. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Absolute path of a pinned tool linked into ./bin by `hack/tools.sh`.
 * @throws Error naming the missing tool and the command that provides it.
 */
export function toolPath(name: string): string {
  const p = join(repoRoot, 'bin', name);
  if (!existsSync(p)) {
    throw new Error(
      `tool '${name}' is missing from ${join(repoRoot, 'bin')}; run 'make tools' (hack/tools.sh)`,
    );
  }
  return p;
}

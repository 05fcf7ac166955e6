// Checks that an npm lockfile (lockfileVersion 3) pins every package completely, so that
// `npm ci` installs from the lock alone and never depends on what the registry answers today
// (docs/development.md, "Lockfiles").
//
//   node hack/lockfile/lockfile-check.ts [LOCKFILE ...]   default: every package-lock.json git tracks
//
// Exits 1 and names each incomplete entry. Registry entries carry no `resolved` URL here (the
// machines set omit-lockfile-registry-resolved), so `version` and `integrity` are what pin them.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** One `packages` entry of a lockfile v3, as far as this check reads it. */
export interface LockEntry {
  version?: string;
  integrity?: string;
  resolved?: string;
  link?: boolean;
}

/** The parts of a package-lock.json (lockfileVersion 2 or 3) this check reads. */
export interface Lockfile {
  lockfileVersion?: number;
  packages?: Record<string, LockEntry>;
}

/**
 * The problems of one lockfile: an entry under `node_modules/` without a `version`, or without an
 * `integrity` (a sha512 SRI string) while it is not a link to a workspace or a local folder.
 * Workspace and root entries (keys without `node_modules/`) are the project's own and skipped.
 *
 * @returns one human-readable line per problem, `<key>: <what is missing>`; empty when complete.
 */
export function incompleteEntries(lock: Lockfile): string[] {
  if (lock.lockfileVersion === undefined || lock.lockfileVersion < 2 || !lock.packages) {
    return [
      `lockfileVersion ${String(lock.lockfileVersion)}: a "packages" map (lockfileVersion >= 2) is needed`,
    ];
  }
  const problems: string[] = [];
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (!key.includes('node_modules/') || entry.link) continue;
    const missing: string[] = [];
    if (!entry.version) missing.push('version');
    const local = entry.resolved !== undefined && entry.resolved.startsWith('file:');
    if (!entry.integrity && !local) missing.push('integrity');
    if (missing.length > 0) problems.push(`${key}: no ${missing.join(', no ')}`);
  }
  return problems;
}

function trackedLockfiles(): string[] {
  const out = execFileSync('git', ['ls-files', '--', '*package-lock.json', 'package-lock.json'], {
    encoding: 'utf8',
  });
  return out.split('\n').filter((l) => l.length > 0);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const files = process.argv.length > 2 ? process.argv.slice(2) : trackedLockfiles();
  let failed = 0;
  for (const file of files) {
    const problems = incompleteEntries(JSON.parse(readFileSync(file, 'utf8')) as Lockfile);
    if (problems.length === 0) continue;
    failed++;
    console.error(`${file}: ${problems.length} incomplete entr${problems.length === 1 ? 'y' : 'ies'}`);
    for (const p of problems.slice(0, 20)) console.error(`  ${p}`);
    if (problems.length > 20) console.error(`  … and ${problems.length - 20} more`);
  }
  if (failed > 0) {
    console.error(
      'Regenerate the lock with the pinned npm (bin/npm) and an empty npm cache, e.g.\n' +
        '  rm -rf node_modules package-lock.json && npm_config_cache=$(mktemp -d) npm install --package-lock-only',
    );
    process.exit(1);
  }
  console.log(`lockfiles complete: ${files.join(', ')}`);
}

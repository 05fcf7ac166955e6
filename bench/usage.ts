/**
 * `--help` of the benchmark scripts: their usage is the module comment at the top of the file.
 */
import { readFileSync } from 'node:fs';

/**
 * Prints the module comment of `file` (everything before the end of its first block comment)
 * and exits.
 * @param file the script's path (`import.meta.filename`)
 * @param code the exit code: 0 when asked for with `--help`, 2 for a usage error
 */
export function printUsageAndExit(file: string, code = 0): never {
  console.log(readFileSync(file, 'utf8').split('*/')[0]);
  process.exit(code);
}

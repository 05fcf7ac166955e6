/**
 * Drift check: the runtime image installs its packages from runtime-image/image-deps (its own
 * lockfile, independent of the workspace's dev tooling). Its pins must be the runtime
 * workspace's registry dependencies at exactly the versions the repository lockfile resolved.
 * Workspace packages (`@sluice/api`, a link in the lockfile) are not installed there: the
 * Dockerfile copies their sources and links them into node_modules.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const runtimeDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const json = (p: string) => JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>;

describe('runtime image dependencies', () => {
  it('pin the runtime workspace dependencies at the repository lockfile versions', () => {
    const declared = json(join(runtimeDir, 'package.json')).dependencies as Record<string, string>;
    const image = json(join(runtimeDir, 'image-deps', 'package.json')).dependencies as Record<string, string>;
    const rootLock = json(join(runtimeDir, '..', 'package-lock.json')).packages as Record<
      string,
      { version: string; link?: boolean }
    >;
    const links = Object.keys(declared).filter((name) => rootLock[`node_modules/${name}`]?.link === true);
    expect(links).toEqual(['@sluice/api']);
    const workspace = Object.fromEntries(Object.entries(declared).filter(([name]) => !links.includes(name)));
    const imageLock = json(join(runtimeDir, 'image-deps', 'package-lock.json')).packages as Record<
      string,
      { version: string; dependencies?: Record<string, string> }
    >;
    expect(Object.keys(image).sort()).toEqual(Object.keys(workspace).sort());
    for (const name of Object.keys(workspace)) {
      const locked = rootLock[`node_modules/${name}`]?.version;
      expect({ name, pin: image[name] }).toEqual({ name, pin: locked });
      expect({ name, installed: imageLock[`node_modules/${name}`]?.version }).toEqual({
        name,
        installed: locked,
      });
    }
    expect(imageLock['']?.dependencies).toEqual(image);
  });
});

/**
 * A Secret volume as the kubelet projects one, for the process kubelet (process-kubelet.ts):
 * the Secret's keys as files in a directory, updated atomically when the Secret changes — the
 * kubelet's layout: each key is a symlink `<key> -> ..data/<key>`, `..data` a symlink to a
 * timestamped directory holding the files; an update writes a new directory and swaps `..data`
 * with one rename, so a reader sees the old files or the new ones, never a mix.
 */
import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { CoreV1Api } from '@kubernetes/client-node';

/** One projected Secret volume; {@link sync} brings its files to the Secret's current data. */
export class SecretVolume {
  readonly dir: string;
  readonly #core: CoreV1Api;
  readonly #namespace: string;
  readonly #secret: string;
  #resourceVersion: string | undefined;
  #version = 0;

  /**
   * @param dir host directory standing for the mount (created)
   * @param secret name of the Secret in `namespace`
   */
  constructor(core: CoreV1Api, namespace: string, secret: string, dir: string) {
    this.#core = core;
    this.#namespace = namespace;
    this.#secret = secret;
    this.dir = dir;
    mkdirSync(dir, { recursive: true });
  }

  /**
   * Reads the Secret and, when its resourceVersion changed, writes its data as files (mode 0400).
   * @throws Error from the API server (e.g. 404 when the Secret does not exist)
   */
  async sync(): Promise<void> {
    const s = await this.#core.readNamespacedSecret({ name: this.#secret, namespace: this.#namespace });
    if (s.metadata?.resourceVersion === this.#resourceVersion) return;
    const version = `..${Date.now()}_${++this.#version}`;
    const target = join(this.dir, version);
    mkdirSync(target);
    const keys = Object.keys(s.data ?? {});
    for (const k of keys) writeFileSync(join(target, k), Buffer.from(s.data![k]!, 'base64'), { mode: 0o400 });
    let previous: string | undefined;
    try {
      previous = readlinkSync(join(this.dir, '..data'));
    } catch {
      // first sync
    }
    symlinkSync(version, join(this.dir, '..data_tmp'));
    renameSync(join(this.dir, '..data_tmp'), join(this.dir, '..data'));
    for (const k of keys) {
      try {
        symlinkSync(join('..data', k), join(this.dir, k));
      } catch {
        // linked by an earlier version
      }
    }
    if (previous) rmSync(join(this.dir, previous), { recursive: true, force: true });
    this.#resourceVersion = s.metadata?.resourceVersion;
  }
}

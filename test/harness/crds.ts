/** Installs the project's CustomResourceDefinitions from `crds/` and waits until they are served. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ApiextensionsV1Api,
  loadAllYaml,
  type KubeConfig,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { repoRoot } from './paths.ts';

/**
 * Every CRD manifest in `crds/` (one or more YAML documents per file), deserialized into
 * client-node's models: its serializer maps model attribute names (`_default`,
 * `x_kubernetes_validations`, ...) to wire names, so a plain parsed YAML object would lose
 * `default`, `x-kubernetes-validations` and `x-kubernetes-preserve-unknown-fields` on the way.
 */
export function loadCrds(dir = join(repoRoot, 'crds')): V1CustomResourceDefinition[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .flatMap((f) => loadAllYaml(readFileSync(join(dir, f), 'utf8')) as Array<{ kind?: string } | null>)
    .filter((o): o is V1CustomResourceDefinition => o?.kind === 'CustomResourceDefinition');
}

/**
 * Creates (or replaces) each CRD and waits until its Established condition is True.
 * @throws Error naming the CRD that did not become established within `timeoutMs`.
 */
export async function installCrds(kc: KubeConfig, timeoutMs = 30_000): Promise<string[]> {
  const api = kc.makeApiClient(ApiextensionsV1Api);
  const names: string[] = [];
  for (const crd of loadCrds()) {
    const name = crd.metadata!.name!;
    try {
      const existing = await api.readCustomResourceDefinition({ name });
      crd.metadata!.resourceVersion = existing.metadata?.resourceVersion;
      await api.replaceCustomResourceDefinition({ name, body: crd });
    } catch (err) {
      if ((err as { code?: number }).code !== 404) throw err;
      await api.createCustomResourceDefinition({ body: crd });
    }
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const got = await api.readCustomResourceDefinition({ name });
      if (got.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) break;
      if (Date.now() > deadline) throw new Error(`CRD ${name} was not Established after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
    names.push(name);
  }
  return names;
}

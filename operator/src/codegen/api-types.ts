/**
 * Renders api/src/streamjob.ts from crds/sluice.dev_streamjobs.yaml: the StreamJob types shared by
 * the operator and the worker runtime, with the CRD's descriptions as docstrings. Used by the
 * `generate-api-types.ts` command and by the unit test that fails when the two drift.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { parse } from 'yaml';
import { generateDeclarations, type SchemaNode } from './crd-to-ts.ts';

/** Absolute path of the repository root. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** The CRD manifest the types come from. */
export const CRD_PATH = join(REPO_ROOT, 'crds', 'sluice.dev_streamjobs.yaml');
/** The generated file. */
export const TYPES_PATH = join(REPO_ROOT, 'api', 'src', 'streamjob.ts');

/** Type names of the StreamJob schema's objects and enums, by schema path. */
const NAMES: Record<string, string> = {
  spec: 'StreamJobSpec',
  'spec.imagePullPolicy': 'ImagePullPolicy',
  'spec.job': 'JobSpec',
  'spec.state': 'JobState',
  'spec.upgradeMode': 'UpgradeMode',
  'spec.checkpoint': 'CheckpointSpec',
  'spec.savepoint': 'SavepointSpec',
  'spec.restartPolicy': 'RestartPolicySpec',
  'spec.storage': 'StorageSpec',
  'spec.storage.credentialsSecret': 'SecretReference',
  'spec.podTemplate': 'WorkerPodTemplate',
  'spec.podTemplate.metadata': 'WorkerPodMetadata',
  'spec.podTemplate.resources': 'WorkerResources',
  'spec.podTemplate.tolerations[]': 'Toleration',
  'spec.podTemplate.imagePullSecrets[]': 'LocalObjectReference',
  'spec.podTemplate.securityContext': 'WorkerSecurityContext',
  'spec.podTemplate.env[]': 'EnvVar',
  status: 'StreamJobStatus',
  'status.phase': 'StreamJobPhase',
  'status.conditions[]': 'Condition',
  'status.conditions[].status': 'ConditionStatus',
  'status.workers': 'WorkersStatus',
  'status.checkpoints': 'CheckpointsStatus',
  'status.checkpoints.lastTriggered': 'TriggeredSnapshot',
  'status.checkpoints.lastTriggered.kind': 'SnapshotKind',
  'status.checkpoints.inProgress': 'InProgressSnapshot',
  'status.checkpoints.inProgress.kind': 'SnapshotKind',
  'status.checkpoints.lastCompleted': 'CompletedCheckpoint',
  'status.checkpoints.lastFailure': 'CheckpointFailure',
  'status.savepoints': 'SavepointsStatus',
  'status.savepoints.last': 'CompletedSavepoint',
  'status.savepoints.history[]': 'CompletedSavepoint',
  'status.restoredFrom': 'RestoredFrom',
  'status.restoredFrom.kind': 'SnapshotKind',
  'status.lastHandledRequests': 'HandledRequests',
  'status.lastHandledRequests.savepoint': 'HandledRequest',
  'status.lastHandledRequests.checkpoint': 'HandledRequest',
  'status.lastHandledRequests.restart': 'HandledRequest',
  'status.lastHandledRequests.savepoint.result': 'RequestResult',
  'status.lastHandledRequests.checkpoint.result': 'RequestResult',
  'status.lastHandledRequests.restart.result': 'RequestResult',
};

interface CrdDoc {
  spec: {
    group: string;
    names: { kind: string; plural: string; shortNames?: string[] };
    versions: Array<{ name: string; storage?: boolean; schema: { openAPIV3Schema: SchemaNode } }>;
  };
}

/**
 * The full text of api/src/streamjob.ts for the CRD manifest `crdYaml`, formatted with the
 * repository's prettier configuration.
 * @throws Error when the manifest has no storage version or the schema cannot be generated.
 */
export async function renderApiTypes(crdYaml: string): Promise<string> {
  const crd = parse(crdYaml) as CrdDoc;
  const version = crd.spec.versions.find((v) => v.storage) ?? crd.spec.versions[0];
  if (!version) throw new Error(`${CRD_PATH} defines no version`);
  const { group, names } = crd.spec;
  const declarations = generateDeclarations(version.schema.openAPIV3Schema, {
    rootName: names.kind,
    names: NAMES,
    overrides: { metadata: 'V1ObjectMeta' },
  });
  const text = `// GENERATED FROM crds/sluice.dev_streamjobs.yaml by operator/src/codegen/generate-api-types.ts.
// DO NOT EDIT: change the CRD and run \`node operator/src/codegen/generate-api-types.ts\`.
/**
 * The StreamJob API (${group}/${version.name}) as TypeScript types, shared by the operator and the
 * worker runtime. Types describe objects as read from the API server, where defaults are applied:
 * a field with a schema default is never absent.
 */
import type { V1ObjectMeta } from '@kubernetes/client-node';

/** API group of StreamJob. */
export const STREAMJOB_GROUP = ${JSON.stringify(group)};
/** Served (and stored) version. */
export const STREAMJOB_VERSION = ${JSON.stringify(version.name)};
/** \`apiVersion\` of StreamJob objects. */
export const STREAMJOB_API_VERSION = ${JSON.stringify(`${group}/${version.name}`)};
/** \`kind\` of StreamJob objects. */
export const STREAMJOB_KIND = ${JSON.stringify(names.kind)};
/** Resource name in URLs: /apis/<group>/<version>/namespaces/<ns>/<plural>. */
export const STREAMJOB_PLURAL = ${JSON.stringify(names.plural)};

${declarations}`;
  const config = (await resolveConfig(TYPES_PATH)) ?? {};
  return format(text, { ...config, parser: 'typescript' });
}

/** Reads the CRD from `crds/` and renders the types. */
export function renderApiTypesFromRepo(): Promise<string> {
  return renderApiTypes(readFileSync(CRD_PATH, 'utf8'));
}

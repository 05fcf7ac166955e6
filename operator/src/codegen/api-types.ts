/**
 * Renders the API types from the CRDs — api/src/streamjob.ts from crds/sluice.dev_streamjobs.yaml
 * and api/src/streamjobsnapshot.ts from crds/sluice.dev_streamjobsnapshots.yaml — shared by the
 * operator and the worker runtime, with the CRDs' descriptions as docstrings. Used by the
 * `generate-api-types.ts` command and by the unit test that fails when they drift.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { parse } from 'yaml';
import { generateDeclarations, type SchemaNode } from './crd-to-ts.ts';

/** Absolute path of the repository root. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** Type names of the StreamJob schema's objects and enums, by schema path. */
const STREAMJOB_NAMES: Record<string, string> = {
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
  'spec.initialSavepointRef': 'SnapshotReference',
  'spec.onDelete': 'OnDeletePolicy',
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
  'status.upgrade': 'UpgradeState',
  'status.upgrade.kind': 'UpgradeKind',
  'status.upgrade.stage': 'UpgradeStage',
  'status.upgrade.rollbackFrom': 'RestoredFrom',
  'status.upgrade.rollbackFrom.kind': 'SnapshotKind',
  'status.lastHandledRequests': 'HandledRequests',
  'status.lastHandledRequests.savepoint': 'HandledSnapshotRequest',
  'status.lastHandledRequests.checkpoint': 'HandledSnapshotRequest',
  'status.lastHandledRequests.restart': 'HandledRequest',
  'status.lastHandledRequests.savepoint.result': 'RequestResult',
  'status.lastHandledRequests.checkpoint.result': 'RequestResult',
  'status.lastHandledRequests.restart.result': 'RequestResult',
};

/** Type names of the StreamJobSnapshot schema's objects and enums, by schema path. */
const SNAPSHOT_NAMES: Record<string, string> = {
  spec: 'StreamJobSnapshotSpec',
  'spec.kind': 'SnapshotObjectKind',
  status: 'StreamJobSnapshotStatus',
  'status.phase': 'SnapshotPhase',
  'status.origin': 'SnapshotOrigin',
};

/** One generated file: the CRD it comes from, where it goes, its type names and constant prefix. */
export interface ApiTypesTarget {
  crdPath: string;
  typesPath: string;
  names: Record<string, string>;
  /** Prefix of the exported constants (`STREAMJOB` → STREAMJOB_GROUP, ...). */
  constPrefix: string;
}

/** Every generated API file. */
export const API_TYPES_TARGETS: readonly ApiTypesTarget[] = [
  {
    crdPath: join(REPO_ROOT, 'crds', 'sluice.dev_streamjobs.yaml'),
    typesPath: join(REPO_ROOT, 'api', 'src', 'streamjob.ts'),
    names: STREAMJOB_NAMES,
    constPrefix: 'STREAMJOB',
  },
  {
    crdPath: join(REPO_ROOT, 'crds', 'sluice.dev_streamjobsnapshots.yaml'),
    typesPath: join(REPO_ROOT, 'api', 'src', 'streamjobsnapshot.ts'),
    names: SNAPSHOT_NAMES,
    constPrefix: 'STREAMJOBSNAPSHOT',
  },
];

interface CrdDoc {
  spec: {
    group: string;
    names: { kind: string; plural: string; shortNames?: string[] };
    versions: Array<{ name: string; storage?: boolean; schema: { openAPIV3Schema: SchemaNode } }>;
  };
}

/**
 * The full text of `target.typesPath` for the CRD manifest `crdYaml`, formatted with the
 * repository's prettier configuration.
 * @throws Error when the manifest has no storage version or the schema cannot be generated.
 */
export async function renderApiTypes(crdYaml: string, target: ApiTypesTarget): Promise<string> {
  const crd = parse(crdYaml) as CrdDoc;
  const version = crd.spec.versions.find((v) => v.storage) ?? crd.spec.versions[0];
  const crdFile = relative(REPO_ROOT, target.crdPath);
  if (!version) throw new Error(`${crdFile} defines no version`);
  const { group, names } = crd.spec;
  const declarations = generateDeclarations(version.schema.openAPIV3Schema, {
    rootName: names.kind,
    names: target.names,
    overrides: { metadata: 'V1ObjectMeta' },
  });
  const p = target.constPrefix;
  const text = `// GENERATED FROM ${crdFile} by operator/src/codegen/generate-api-types.ts.
// DO NOT EDIT: change the CRD and run \`node operator/src/codegen/generate-api-types.ts\`.
/**
 * The ${names.kind} API (${group}/${version.name}) as TypeScript types, shared by the operator and the
 * worker runtime. Types describe objects as read from the API server, where defaults are applied:
 * a field with a schema default is never absent.
 */
import type { V1ObjectMeta } from '@kubernetes/client-node';

/** API group of ${names.kind}. */
export const ${p}_GROUP = ${JSON.stringify(group)};
/** Served (and stored) version. */
export const ${p}_VERSION = ${JSON.stringify(version.name)};
/** \`apiVersion\` of ${names.kind} objects. */
export const ${p}_API_VERSION = ${JSON.stringify(`${group}/${version.name}`)};
/** \`kind\` of ${names.kind} objects. */
export const ${p}_KIND = ${JSON.stringify(names.kind)};
/** Resource name in URLs: /apis/<group>/<version>/namespaces/<ns>/<plural>. */
export const ${p}_PLURAL = ${JSON.stringify(names.plural)};

${declarations}`;
  const config = (await resolveConfig(target.typesPath)) ?? {};
  return format(text, { ...config, parser: 'typescript' });
}

/** Reads `target`'s CRD from `crds/` and renders its types. */
export function renderApiTypesFromRepo(target: ApiTypesTarget): Promise<string> {
  return renderApiTypes(readFileSync(target.crdPath, 'utf8'), target);
}

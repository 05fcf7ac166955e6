/**
 * The workers' identity, as pure functions of the job: their ServiceAccount (no token unless a
 * pod opts in), a Role confined to their StreamJob and the current attempt's pod names, and its
 * RoleBinding
 * (docs/security.md).
 */
import type { V1PolicyRule, V1Role, V1RoleBinding, V1ServiceAccount } from '@kubernetes/client-node';
import { STREAMJOB_GROUP, STREAMJOB_PLURAL, type StreamJob } from '@sluice/api/streamjob.ts';
import { jobMeta, ownerReference } from './desired-state.ts';
import { commonLabels, workerIdentityName } from './names.ts';

/**
 * The workers' ServiceAccount. Its token is not mounted by default: only the worker pods,
 * which need it, opt in (automountServiceAccountToken on the pod).
 */
export function desiredServiceAccount(job: StreamJob): V1ServiceAccount {
  const { name, namespace } = jobMeta(job);
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: {
      name: workerIdentityName(name),
      namespace,
      labels: commonLabels(name),
      ownerReferences: [ownerReference(job)],
    },
    automountServiceAccountToken: false,
  };
}

/**
 * What a worker may do (docs/security.md): read and watch its StreamJob (the checkpoint
 * protocol's requests and commit notices are on it: docs/checkpointing.md), and read, watch and
 * annotate the pods of its attempt (it writes its acknowledgement on its own pod). `resourceNames`
 * confines every verb to the job's name and the attempt's pod names — for list/watch RBAC honours
 * it only when the request carries the matching `fieldSelector=metadata.name=<name>`, which is
 * how workers watch. Nothing else: no Secrets, no other jobs or pods, no create or delete.
 */
export function desiredRoleRules(podNames: string[], jobName: string): V1PolicyRule[] {
  // An empty resourceNames would grant every pod of the namespace: no names, no rule.
  if (podNames.length === 0) return [];
  return [
    {
      apiGroups: [''],
      resources: ['pods'],
      verbs: ['get', 'list', 'watch', 'patch'],
      resourceNames: [...podNames],
    },
    {
      apiGroups: [STREAMJOB_GROUP],
      resources: [STREAMJOB_PLURAL],
      verbs: ['get', 'list', 'watch'],
      resourceNames: [jobName],
    },
  ];
}

/** The workers' Role `<job>-worker`, confined to `podNames` (the current attempt's pods). */
export function desiredRole(job: StreamJob, podNames: string[]): V1Role {
  const { name, namespace } = jobMeta(job);
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: {
      name: workerIdentityName(name),
      namespace,
      labels: commonLabels(name),
      ownerReferences: [ownerReference(job)],
    },
    rules: desiredRoleRules(podNames, name),
  };
}

/** Binds the workers' Role to their ServiceAccount. */
export function desiredRoleBinding(job: StreamJob): V1RoleBinding {
  const { name, namespace } = jobMeta(job);
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: {
      name: workerIdentityName(name),
      namespace,
      labels: commonLabels(name),
      ownerReferences: [ownerReference(job)],
    },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: workerIdentityName(name) },
    subjects: [{ kind: 'ServiceAccount', name: workerIdentityName(name), namespace }],
  };
}

/**
 * Creates or updates the objects a StreamJob owns besides its pods — ServiceAccount, Role,
 * RoleBinding, headless Service, worker NetworkPolicy, and the job's minted storage
 * credentials — so that the
 * fields the operator manages match the desired object. Objects of the same name that the job
 * does not control are never taken over: that is a {@link ProblemError} (OwnershipConflict)
 * for the user to resolve.
 */
import type {
  CoreV1Api,
  KubernetesObject,
  NetworkingV1Api,
  RbacAuthorizationV1Api,
  V1NetworkPolicy,
  V1Role,
  V1RoleBinding,
  V1Secret,
  V1Service,
  V1ServiceAccount,
} from '@kubernetes/client-node';
import { apiStatus, ifExists, isAlreadyExists, isForbidden, isNotFound } from '../kube/errors.ts';
import { canonicalJson } from './desired-state.ts';
import { ProblemError } from './problem.ts';
import { isControlledBy } from './workers.ts';

/** What {@link ensureOwned} did. */
export type EnsureOutcome = 'created' | 'updated' | 'unchanged';

/** Read/create/replace of one named object. */
interface ObjectOps<T> {
  read(): Promise<T>;
  /** The object as the caller just read it (`object` undefined: absent): `read` is not called. */
  stored?: { object: T | undefined };
  /** Create before any read (see {@link EnsureOptions}). */
  createFirst?: boolean;
  create(body: T): Promise<T>;
  replace(body: T): Promise<T>;
}

/** How one kind is compared and merged. */
interface KindRules<T> {
  kind: string;
  /** The operator-managed part of an object (compared canonically). */
  managed(obj: T): unknown;
  /** `existing` with the managed part of `desired` (metadata such as resourceVersion kept). */
  merge(existing: T, desired: T): T;
}

function mergedLabels(existing: KubernetesObject, desired: KubernetesObject): Record<string, string> {
  return { ...(existing.metadata?.labels ?? {}), ...(desired.metadata?.labels ?? {}) };
}

function desiredLabelView(
  obj: KubernetesObject,
  desired: KubernetesObject,
): Record<string, string | undefined> {
  return Object.fromEntries(
    Object.keys(desired.metadata?.labels ?? {}).map((k) => [k, obj.metadata?.labels?.[k]]),
  );
}

/** How an ensure reaches the object. */
export interface EnsureOptions {
  /**
   * Send the create first and read only if it already exists (then compared as always): one
   * request instead of two for an object that is most likely absent, a new job's (the
   * reconciler sets it in the reconcile that starts a job's first attempt; docs/operator.md
   * "Reconcile"). An object that exists costs a refused create more.
   */
  createFirst?: boolean;
}

/**
 * Makes the object named by `desired` exist with `desired`'s managed fields.
 * @param owner `namespace/name` of the StreamJob and its uid, for the ownership check and messages
 * @throws ProblemError OwnershipConflict when an object of that name exists and is not
 *   controlled by the job; Forbidden when RBAC denies the operator; other API errors as-is.
 */
async function ensureOwned<T extends KubernetesObject>(
  desired: T,
  ops: ObjectOps<T>,
  rules: KindRules<T>,
  owner: { ref: string; uid: string },
): Promise<EnsureOutcome> {
  const where = `${rules.kind} ${desired.metadata?.namespace}/${desired.metadata?.name}`;
  try {
    let existing = ops.stored
      ? ops.stored.object
      : ops.createFirst
        ? undefined
        : await ifExists(() => ops.read());
    if (existing === undefined) {
      try {
        await ops.create(desired);
        return 'created';
      } catch (createErr) {
        if (!isAlreadyExists(createErr)) throw createErr;
        // Absent when read a moment ago: created meanwhile (e.g. by a previous leader), compared
        // on the next reconcile. Not read (createFirst): read it now and compare.
        if (ops.stored || !ops.createFirst) return 'unchanged';
        existing = await ifExists(() => ops.read());
        if (existing === undefined) return 'unchanged';
      }
    }
    if (!isControlledBy(existing, owner.uid)) {
      throw new ProblemError(
        'OwnershipConflict',
        `${where} exists and is not controlled by StreamJob ${owner.ref}; delete or rename it so the operator can create its own`,
      );
    }
    const view = (o: T) => canonicalJson({ labels: desiredLabelView(o, desired), managed: rules.managed(o) });
    if (view(existing) === view(desired)) return 'unchanged';
    const merged = rules.merge(existing, desired);
    merged.metadata = { ...merged.metadata, labels: mergedLabels(existing, desired) };
    await ops.replace(merged);
    return 'updated';
  } catch (err) {
    if (err instanceof ProblemError) throw err;
    if (isForbidden(err)) {
      throw new ProblemError(
        'Forbidden',
        `the operator may not write ${where}: ${apiStatus(err).message}; check the operator's RBAC (docs/operator.md)`,
        { cause: err },
      );
    }
    throw err;
  }
}

const SERVICE_ACCOUNT: KindRules<V1ServiceAccount> = {
  kind: 'ServiceAccount',
  managed: (o) => ({ automount: o.automountServiceAccountToken }),
  merge: (e, d) => ({ ...e, automountServiceAccountToken: d.automountServiceAccountToken }),
};

const ROLE: KindRules<V1Role> = {
  kind: 'Role',
  managed: (o) => ({ rules: o.rules ?? [] }),
  merge: (e, d) => ({ ...e, rules: d.rules }),
};

const ROLE_BINDING: KindRules<V1RoleBinding> = {
  kind: 'RoleBinding',
  managed: (o) => ({ subjects: o.subjects ?? [], roleRef: o.roleRef }),
  merge: (e, d) => ({ ...e, subjects: d.subjects }),
};

const SERVICE: KindRules<V1Service> = {
  kind: 'Service',
  managed: (o) => ({
    selector: o.spec?.selector,
    publishNotReadyAddresses: o.spec?.publishNotReadyAddresses,
    ports: (o.spec?.ports ?? []).map((p) => ({
      name: p.name,
      port: p.port,
      targetPort: p.targetPort,
      protocol: p.protocol,
    })),
  }),
  merge: (e, d) => ({
    ...e,
    spec: {
      ...e.spec,
      selector: d.spec?.selector,
      publishNotReadyAddresses: d.spec?.publishNotReadyAddresses,
      ports: d.spec?.ports,
    },
  }),
};

const NETWORK_POLICY: KindRules<V1NetworkPolicy> = {
  kind: 'NetworkPolicy',
  managed: (o) => ({ spec: o.spec }),
  merge: (e, d) => ({ ...e, spec: d.spec }),
};

const SECRET: KindRules<V1Secret> = {
  kind: 'Secret',
  managed: (o) => ({ data: o.data ?? {} }),
  merge: (e, d) => ({ ...e, data: d.data }),
};

/** The typed clients the owned objects are written with. */
export interface ChildClients {
  core: CoreV1Api;
  rbac: RbacAuthorizationV1Api;
  networking: NetworkingV1Api;
}

/** The StreamJob that owns a child: `namespace/name` (for messages) and uid. */
type Owner = { ref: string; uid: string };

/** Ensures objects owned by one StreamJob; see the module comment. */
export class ChildObjects {
  readonly #c: ChildClients;

  constructor(clients: ChildClients) {
    this.#c = clients;
  }

  serviceAccount(body: V1ServiceAccount, owner: Owner, options: EnsureOptions = {}): Promise<EnsureOutcome> {
    const { name, namespace } = nameOf(body);
    const core = this.#c.core;
    return ensureOwned(
      body,
      {
        ...options,
        read: () => core.readNamespacedServiceAccount({ name, namespace }),
        create: (b) => core.createNamespacedServiceAccount({ namespace, body: b }),
        replace: (b) => core.replaceNamespacedServiceAccount({ name, namespace, body: b }),
      },
      SERVICE_ACCOUNT,
      owner,
    );
  }

  role(body: V1Role, owner: Owner, options: EnsureOptions = {}): Promise<EnsureOutcome> {
    const { name, namespace } = nameOf(body);
    const rbac = this.#c.rbac;
    return ensureOwned(
      body,
      {
        ...options,
        read: () => rbac.readNamespacedRole({ name, namespace }),
        create: (b) => rbac.createNamespacedRole({ namespace, body: b }),
        replace: (b) => rbac.replaceNamespacedRole({ name, namespace, body: b }),
      },
      ROLE,
      owner,
    );
  }

  /**
   * Removes `podNames` from the rules of the job's existing Role `namespace/name`: a worker pod
   * name found taken by a foreign pod is never left granted (pod-name-claims.ts). Never creates
   * the Role; one the job does not control is left alone. @returns whether the Role changed
   */
  async revokePodNames(
    namespace: string,
    name: string,
    podNames: readonly string[],
    owner: { uid: string },
  ): Promise<boolean> {
    const rbac = this.#c.rbac;
    let role: V1Role;
    try {
      role = await rbac.readNamespacedRole({ name, namespace });
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
    if (!isControlledBy(role, owner.uid)) return false;
    const drop = new Set(podNames);
    const granted = (role.rules ?? []).flatMap((r) => r.resourceNames ?? []);
    if (!granted.some((n) => drop.has(n))) return false;
    // A rule left without resourceNames would grant every pod: it goes entirely.
    const rules = (role.rules ?? []).flatMap((r) => {
      if (!r.resourceNames) return [r];
      const kept = r.resourceNames.filter((n) => !drop.has(n));
      return kept.length > 0 ? [{ ...r, resourceNames: kept }] : [];
    });
    await rbac.replaceNamespacedRole({ name, namespace, body: { ...role, rules } });
    return true;
  }

  roleBinding(body: V1RoleBinding, owner: Owner, options: EnsureOptions = {}): Promise<EnsureOutcome> {
    const { name, namespace } = nameOf(body);
    const rbac = this.#c.rbac;
    return ensureOwned(
      body,
      {
        ...options,
        read: () => rbac.readNamespacedRoleBinding({ name, namespace }),
        create: (b) => rbac.createNamespacedRoleBinding({ namespace, body: b }),
        replace: (b) => rbac.replaceNamespacedRoleBinding({ name, namespace, body: b }),
      },
      ROLE_BINDING,
      owner,
    );
  }

  service(body: V1Service, owner: Owner, options: EnsureOptions = {}): Promise<EnsureOutcome> {
    const { name, namespace } = nameOf(body);
    const core = this.#c.core;
    return ensureOwned(
      body,
      {
        ...options,
        read: () => core.readNamespacedService({ name, namespace }),
        create: (b) => core.createNamespacedService({ namespace, body: b }),
        replace: (b) => core.replaceNamespacedService({ name, namespace, body: b }),
      },
      SERVICE,
      owner,
    );
  }

  networkPolicy(body: V1NetworkPolicy, owner: Owner, options: EnsureOptions = {}): Promise<EnsureOutcome> {
    const { name, namespace } = nameOf(body);
    const net = this.#c.networking;
    return ensureOwned(
      body,
      {
        ...options,
        read: () => net.readNamespacedNetworkPolicy({ name, namespace }),
        create: (b) => net.createNamespacedNetworkPolicy({ namespace, body: b }),
        replace: (b) => net.replaceNamespacedNetworkPolicy({ name, namespace, body: b }),
      },
      NETWORK_POLICY,
      owner,
    );
  }

  /**
   * @param stored the Secret as the caller just read it ({@link readSecret}; `object` undefined:
   *   absent), which spares a second read; omitted: it is read here
   */
  secret(
    body: V1Secret,
    owner: { ref: string; uid: string },
    stored?: { object: V1Secret | undefined },
  ): Promise<EnsureOutcome> {
    const { name, namespace } = nameOf(body);
    const core = this.#c.core;
    return ensureOwned(
      body,
      {
        ...(stored ? { stored } : {}),
        read: () => core.readNamespacedSecret({ name, namespace }),
        create: (b) => core.createNamespacedSecret({ namespace, body: b }),
        replace: (b) => core.replaceNamespacedSecret({ name, namespace, body: b }),
      },
      SECRET,
      owner,
    );
  }

  /** Secret `namespace/name` as stored, or undefined when it does not exist. */
  readSecret(namespace: string, name: string): Promise<V1Secret | undefined> {
    return ifExists(() => this.#c.core.readNamespacedSecret({ name, namespace }));
  }

  /**
   * The base64 `accessKey`, `secretKey` and (when present) `sessionToken` of Secret
   * `namespace/name`, in one read (values are never logged).
   * @throws ProblemError StorageCredentialsMissing when the Secret or a key is missing;
   *   Forbidden when the operator may not read it.
   */
  async readCredentials(
    namespace: string,
    name: string,
  ): Promise<{ accessKey: string; secretKey: string; sessionToken?: string }> {
    let secret: V1Secret;
    try {
      secret = await this.#c.core.readNamespacedSecret({ name, namespace });
    } catch (err) {
      if (isNotFound(err)) {
        throw new ProblemError(
          'StorageCredentialsMissing',
          `the operator's default storage credentials Secret ${namespace}/${name} does not exist; create it with keys accessKey and secretKey, or set spec.storage.credentialsSecret`,
        );
      }
      if (isForbidden(err)) {
        throw new ProblemError(
          'Forbidden',
          `the operator may not read Secret ${namespace}/${name}: ${apiStatus(err).message}; check the operator's RBAC (docs/operator.md)`,
        );
      }
      throw err;
    }
    const accessKey = secret.data?.accessKey;
    const secretKey = secret.data?.secretKey;
    if (!accessKey || !secretKey) {
      throw new ProblemError(
        'StorageCredentialsMissing',
        `Secret ${namespace}/${name} lacks key ${accessKey ? 'secretKey' : 'accessKey'}; it needs accessKey and secretKey`,
      );
    }
    const sessionToken = secret.data?.sessionToken;
    return { accessKey, secretKey, ...(sessionToken ? { sessionToken } : {}) };
  }
}

function nameOf(obj: KubernetesObject): { name: string; namespace: string } {
  return { name: obj.metadata?.name ?? '', namespace: obj.metadata?.namespace ?? '' };
}

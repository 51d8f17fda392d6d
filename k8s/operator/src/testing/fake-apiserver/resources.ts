// The resources the fake serves: a literal table of the built-in ones Isola's manifests and
// operator use, plus whatever the stored CustomResourceDefinitions declare.
import type { K8sObject } from './types.js';

/** How /scale maps onto the object (autoscaling/v1 Scale). */
export interface ScaleSubresource {
  specReplicasPath: string;
  statusReplicasPath: string;
  /** status.selector of the Scale: a label selector in string form. */
  selector(object: K8sObject): string | undefined;
}

/** A CRD's additionalPrinterColumns entry. */
export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  format?: string;
  description?: string;
  priority?: number;
}

/** Which names metadata.name may hold (k8s.io/apimachinery/pkg/api/validation). */
export type NameRule = 'subdomain' | 'label' | 'dns1035' | 'path';

export interface ResourceType {
  group: string;
  version: string;
  plural: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  shortNames: readonly string[];
  categories: readonly string[];
  statusSubresource: boolean;
  scale?: ScaleSubresource;
  nameRule: NameRule;
  /** Only CRDs declare columns; built-ins get Name and Age. */
  printerColumns?: readonly PrinterColumn[];
  /** The CustomResourceDefinition serving this resource, when it is a custom one. */
  crd?: string;
  /** Pods and service accounts answer DELETE with the object, everything else with a Success Status. */
  returnDeletedObject?: boolean;
}

export const apiVersionOf = (t: { group: string; version: string }) => (t.group === '' ? t.version : `${t.group}/${t.version}`);
/** Objects of one resource share storage across the versions it is served at. */
export const storageKey = (t: { group: string; plural: string }) => `${t.group}/${t.plural}`;

export const verbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] as const;
export const subresourceVerbs = ['get', 'patch', 'update'] as const;

/** matchLabels and matchExpressions rendered the way metav1.FormatLabelSelector does. */
export function formatLabelSelector(selector: unknown): string | undefined {
  if (typeof selector !== 'object' || selector === null) return undefined;
  const { matchLabels, matchExpressions } = selector as {
    matchLabels?: Record<string, string>;
    matchExpressions?: { key: string; operator: string; values?: string[] }[];
  };
  const parts = Object.entries(matchLabels ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`);
  for (const { key, operator, values = [] } of matchExpressions ?? []) {
    if (operator === 'In') parts.push(`${key} in (${[...values].sort().join(',')})`);
    else if (operator === 'NotIn') parts.push(`${key} notin (${[...values].sort().join(',')})`);
    else if (operator === 'Exists') parts.push(key);
    else if (operator === 'DoesNotExist') parts.push(`!${key}`);
  }
  return parts.length === 0 ? undefined : parts.join(',');
}

const workloadScale: ScaleSubresource = {
  specReplicasPath: '.spec.replicas',
  statusReplicasPath: '.status.replicas',
  selector: (o) => formatLabelSelector((o['spec'] as { selector?: unknown } | undefined)?.selector),
};

type Builtin = Pick<ResourceType, 'group' | 'version' | 'plural' | 'kind'> & Partial<ResourceType>;

function builtin(b: Builtin): ResourceType {
  return {
    singular: b.kind.toLowerCase(),
    listKind: `${b.kind}List`,
    namespaced: true,
    shortNames: [],
    categories: [],
    statusSubresource: false,
    nameRule: 'subdomain',
    ...b,
  };
}

/** Built-in resources, in discovery order. Short names and categories as a 1.30 server lists them. */
export const builtinResources: readonly ResourceType[] = [
  builtin({ group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false, shortNames: ['ns'], statusSubresource: true, nameRule: 'label' }),
  builtin({ group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', shortNames: ['cm'] }),
  builtin({ group: '', version: 'v1', plural: 'secrets', kind: 'Secret' }),
  builtin({ group: '', version: 'v1', plural: 'services', kind: 'Service', shortNames: ['svc'], categories: ['all'], statusSubresource: true, nameRule: 'dns1035' }),
  builtin({ group: '', version: 'v1', plural: 'serviceaccounts', kind: 'ServiceAccount', shortNames: ['sa'], returnDeletedObject: true }),
  builtin({ group: '', version: 'v1', plural: 'events', kind: 'Event', shortNames: ['ev'] }),
  builtin({ group: '', version: 'v1', plural: 'pods', kind: 'Pod', shortNames: ['po'], categories: ['all'], statusSubresource: true, returnDeletedObject: true }),
  builtin({ group: 'apps', version: 'v1', plural: 'deployments', kind: 'Deployment', shortNames: ['deploy'], categories: ['all'], statusSubresource: true, scale: workloadScale }),
  builtin({ group: 'apps', version: 'v1', plural: 'statefulsets', kind: 'StatefulSet', shortNames: ['sts'], categories: ['all'], statusSubresource: true, scale: workloadScale }),
  builtin({ group: 'coordination.k8s.io', version: 'v1', plural: 'leases', kind: 'Lease' }),
  builtin({ group: 'events.k8s.io', version: 'v1', plural: 'events', kind: 'Event', shortNames: ['ev'] }),
  builtin({ group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'roles', kind: 'Role', nameRule: 'path' }),
  builtin({ group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'rolebindings', kind: 'RoleBinding', nameRule: 'path' }),
  builtin({ group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'clusterroles', kind: 'ClusterRole', namespaced: false, nameRule: 'path' }),
  builtin({ group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'clusterrolebindings', kind: 'ClusterRoleBinding', namespaced: false, nameRule: 'path' }),
  builtin({ group: 'networking.k8s.io', version: 'v1', plural: 'networkpolicies', kind: 'NetworkPolicy', shortNames: ['netpol'] }),
  builtin({ group: 'policy', version: 'v1', plural: 'poddisruptionbudgets', kind: 'PodDisruptionBudget', shortNames: ['pdb'], statusSubresource: true }),
  builtin({
    group: 'apiextensions.k8s.io',
    version: 'v1',
    plural: 'customresourcedefinitions',
    kind: 'CustomResourceDefinition',
    namespaced: false,
    shortNames: ['crd', 'crds'],
    categories: ['api-extensions'],
    statusSubresource: true,
  }),
];

/** Kubernetes version ordering (v1 > v1beta2 > v1beta1 > v1alpha1 > anything else): highest first. */
export function compareVersionPriority(a: string, b: string): number {
  const parse = (v: string) => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [0, 0, 0] as const;
    const stability = m[2] === undefined ? 3 : m[2] === 'beta' ? 2 : 1;
    return [stability, Number(m[1]), Number(m[3] ?? 0)] as const;
  };
  const [sa, ma, na] = parse(a);
  const [sb, mb, nb] = parse(b);
  // GA before beta before alpha; then higher major, then higher minor.
  if (sa !== sb) return sb - sa;
  if (ma !== mb) return mb - ma;
  if (na !== nb) return nb - na;
  return a.localeCompare(b);
}

/** The served resources: built-ins plus those of established CRDs, looked up by URL or by kind. */
export class ResourceRegistry {
  private readonly custom = new Map<string, ResourceType[]>();

  all(): ResourceType[] {
    return [...builtinResources, ...[...this.custom.values()].flat()];
  }

  find(group: string, version: string, plural: string): ResourceType | undefined {
    return this.all().find((t) => t.group === group && t.version === version && t.plural === plural);
  }

  byKind(apiVersion: string, kind: string): ResourceType | undefined {
    return this.all().find((t) => apiVersionOf(t) === apiVersion && t.kind === kind);
  }

  /** group → versions, highest priority first; core ('') first, then built-in groups in table order, then CRD groups. */
  groups(): Map<string, string[]> {
    const groups = new Map<string, string[]>();
    for (const t of this.all()) {
      const versions = groups.get(t.group) ?? [];
      if (!versions.includes(t.version)) versions.push(t.version);
      groups.set(t.group, versions);
    }
    for (const versions of groups.values()) versions.sort(compareVersionPriority);
    return groups;
  }

  setCustom(crdName: string, types: ResourceType[]): void {
    this.custom.set(crdName, types);
  }

  removeCustom(crdName: string): ResourceType[] {
    const removed = this.custom.get(crdName) ?? [];
    this.custom.delete(crdName);
    return removed;
  }
}

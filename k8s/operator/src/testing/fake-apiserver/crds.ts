// CustomResourceDefinitions: what a stored CRD makes the server serve, the few checks the
// real server makes before it does, and the status its controllers would write.
import { errors, type StatusCause } from './status.js';
import type { PrinterColumn, ResourceType, ScaleSubresource } from './resources.js';
import type { K8sObject } from './types.js';
import { readPath } from './json-path.js';

interface CrdVersion {
  name: string;
  served?: boolean;
  storage?: boolean;
  subresources?: { status?: object; scale?: { specReplicasPath?: string; statusReplicasPath?: string; labelSelectorPath?: string } };
  additionalPrinterColumns?: PrinterColumn[];
}

interface CrdSpec {
  group?: string;
  scope?: string;
  names?: { plural?: string; singular?: string; kind?: string; listKind?: string; shortNames?: string[]; categories?: string[] };
  versions?: CrdVersion[];
}

const specOf = (crd: K8sObject) => (crd['spec'] ?? {}) as CrdSpec;

/** 422 unless the CRD is one the real server would accept in shape (its schemas are not checked). */
export function validateCrd(crd: K8sObject): void {
  const spec = specOf(crd);
  const causes: StatusCause[] = [];
  const required = (field: string, value: unknown) => {
    if (value === undefined || value === '') causes.push({ field, reason: 'FieldValueRequired', message: 'Required value' });
  };
  required('spec.group', spec.group);
  required('spec.names.plural', spec.names?.plural);
  required('spec.names.kind', spec.names?.kind);
  if (spec.scope !== 'Namespaced' && spec.scope !== 'Cluster') {
    causes.push({ field: 'spec.scope', reason: 'FieldValueNotSupported', message: `Unsupported value: "${spec.scope ?? ''}": supported values: "Cluster", "Namespaced"` });
  }
  const versions = spec.versions ?? [];
  if (versions.length === 0) causes.push({ field: 'spec.versions', reason: 'FieldValueInvalid', message: 'Invalid value: must have exactly one version marked as storage version' });
  else if (versions.filter((v) => v.storage === true).length !== 1) {
    causes.push({ field: 'spec.versions', reason: 'FieldValueInvalid', message: 'Invalid value: must have exactly one version marked as storage version' });
  }
  if (spec.group !== undefined && !spec.group.includes('.')) {
    causes.push({ field: 'spec.group', reason: 'FieldValueInvalid', message: `Invalid value: "${spec.group}": should be a domain with at least one dot` });
  }
  const expectedName = `${spec.names?.plural ?? ''}.${spec.group ?? ''}`;
  if (crd.metadata.name !== expectedName) {
    causes.push({ field: 'metadata.name', reason: 'FieldValueInvalid', message: `Invalid value: "${crd.metadata.name ?? ''}": must be spec.names.plural+"."+spec.group` });
  }
  if (causes.length > 0) throw errors.invalid('CustomResourceDefinition', 'apiextensions.k8s.io', crd.metadata.name ?? '', causes);
}

function scaleOf(scale: NonNullable<CrdVersion['subresources']>['scale']): ScaleSubresource | undefined {
  if (scale === undefined) return undefined;
  const labelSelectorPath = scale.labelSelectorPath;
  return {
    specReplicasPath: scale.specReplicasPath ?? '.spec.replicas',
    statusReplicasPath: scale.statusReplicasPath ?? '.status.replicas',
    selector: (o) => {
      if (labelSelectorPath === undefined) return undefined;
      const value = readPath(o, labelSelectorPath);
      return typeof value === 'string' ? value : undefined;
    },
  };
}

/** The resource types a (validated) CRD serves: one per served version. */
export function resourceTypesOf(crd: K8sObject): ResourceType[] {
  const spec = specOf(crd);
  const names = spec.names ?? {};
  const kind = names.kind ?? '';
  return (spec.versions ?? [])
    .filter((v) => v.served !== false)
    .map((v) => {
      const type: ResourceType = {
        group: spec.group ?? '',
        version: v.name,
        plural: names.plural ?? '',
        singular: names.singular ?? kind.toLowerCase(),
        kind,
        listKind: names.listKind ?? `${kind}List`,
        namespaced: spec.scope === 'Namespaced',
        shortNames: names.shortNames ?? [],
        categories: names.categories ?? [],
        statusSubresource: v.subresources?.status !== undefined,
        nameRule: 'subdomain',
        crd: crd.metadata.name ?? '',
      };
      const scale = scaleOf(v.subresources?.scale);
      if (scale) type.scale = scale;
      if (v.additionalPrinterColumns && v.additionalPrinterColumns.length > 0) type.printerColumns = v.additionalPrinterColumns;
      return type;
    });
}

/** The status the apiextensions controllers write once a CRD's names are accepted and it is served. */
export function establishedStatus(crd: K8sObject, now: string): Record<string, unknown> {
  const spec = specOf(crd);
  const names = spec.names ?? {};
  const kind = names.kind ?? '';
  return {
    conditions: [
      { type: 'NamesAccepted', status: 'True', lastTransitionTime: now, reason: 'NoConflicts', message: 'no conflicts found' },
      { type: 'Established', status: 'True', lastTransitionTime: now, reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' },
    ],
    acceptedNames: {
      plural: names.plural,
      singular: names.singular ?? kind.toLowerCase(),
      kind,
      listKind: names.listKind ?? `${kind}List`,
      ...(names.shortNames ? { shortNames: names.shortNames } : {}),
      ...(names.categories ? { categories: names.categories } : {}),
    },
    storedVersions: (spec.versions ?? []).filter((v) => v.storage === true).map((v) => v.name),
  };
}

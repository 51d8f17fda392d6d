// Server-side printing: what `kubectl get` asks for (Accept: application/json;as=Table;v=v1;
// g=meta.k8s.io) and the metadata-only form (as=PartialObjectMetadataList). Tables have Name,
// the CRD's additionalPrinterColumns when it declares some, else Age.
import { evaluate } from './json-path.js';
import type { PrinterColumn, ResourceType } from './resources.js';
import type { K8sObject } from './types.js';

export type Representation = { as: 'object' } | { as: 'table' | 'partial'; version: 'v1' | 'v1beta1' };

/** The first representation in Accept this server can produce (plain JSON when none is named). */
export function negotiate(accept: string | undefined): Representation {
  for (const part of (accept ?? '').split(',')) {
    const [mediaType = '', ...params] = part.split(';').map((s) => s.trim());
    const p = Object.fromEntries(params.map((kv) => kv.split('=').map((s) => s.trim()) as [string, string]));
    if (mediaType !== 'application/json' && mediaType !== '*/*' && mediaType !== 'application/*') continue;
    if (p['as'] === undefined) return { as: 'object' };
    if (p['g'] !== 'meta.k8s.io' || (p['v'] !== 'v1' && p['v'] !== 'v1beta1')) continue;
    if (p['as'] === 'Table') return { as: 'table', version: p['v'] };
    if (p['as'] === 'PartialObjectMetadata' || p['as'] === 'PartialObjectMetadataList') return { as: 'partial', version: p['v'] };
  }
  return { as: 'object' };
}

/** kubectl's and the server's short durations (k8s.io/apimachinery/pkg/util/duration.HumanDuration). */
export function humanDuration(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (hours < 192) return hours % 24 === 0 ? `${days}d` : `${days}d${hours % 24}h`;
  if (days < 730) return `${days}d`;
  const years = Math.floor(days / 365);
  return years < 8 && days % 365 !== 0 ? `${years}y${days % 365}d` : `${years}y`;
}

const age = (object: K8sObject) => {
  const created = Date.parse(object.metadata.creationTimestamp ?? '');
  return Number.isNaN(created) ? '<unknown>' : humanDuration(Date.now() - created);
};

const nameColumn = { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names', priority: 0 };
const ageColumn: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: 'CreationTimestamp is a timestamp representing the server time when this object was created.' };

function cell(object: K8sObject, column: PrinterColumn): unknown {
  let results: unknown[];
  try {
    results = evaluate(object, column.jsonPath);
  } catch {
    return null;
  }
  const value = results[0];
  if (value === undefined || value === null) return null;
  if (column.type === 'date') {
    const time = Date.parse(String(value));
    return Number.isNaN(time) ? String(value) : humanDuration(Date.now() - time);
  }
  return value;
}

export function partialMetadata(object: K8sObject, version: string): K8sObject {
  return { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${version}`, metadata: object.metadata };
}

export function toTable(type: ResourceType, objects: K8sObject[], resourceVersion: string, version: string, includeObject: string | null): Record<string, unknown> {
  const columns = type.printerColumns ?? [ageColumn];
  const rowObject = (o: K8sObject) => (includeObject === 'None' ? undefined : includeObject === 'Object' ? o : partialMetadata(o, version));
  return {
    kind: 'Table',
    apiVersion: `meta.k8s.io/${version}`,
    metadata: { resourceVersion },
    columnDefinitions: [
      nameColumn,
      ...columns.map((c) => ({ name: c.name, type: c.type, format: c.format ?? '', description: c.description ?? '', priority: c.priority ?? 0 })),
    ],
    rows: objects.map((o) => ({
      cells: [o.metadata.name ?? '', ...columns.map((c) => (c === ageColumn ? age(o) : cell(o, c)))],
      object: rowObject(o),
    })),
  };
}

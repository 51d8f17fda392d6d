// Validates Function resources offline against the CRD's openAPIV3Schema, with ajv standing in
// for the API server: the schema is turned from the OpenAPI v3.0 dialect CRDs use into JSON
// Schema, and objects that name a field the schema does not are refused, as `kubectl apply`
// (strict field validation, the default since Kubernetes 1.27) refuses them.
import { Ajv, type ErrorObject } from 'ajv';
import { readObjects } from './kustomize.js';

type Node = Record<string, unknown>;

const isNode = (value: unknown): value is Node => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Kubernetes' schema extensions: ajv is told they exist (and validate nothing here). */
const kubernetesKeywords = [
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-embedded-resource',
  'x-kubernetes-int-or-string',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-list-type',
  'x-kubernetes-map-type',
  'x-kubernetes-validations',
];

/** The Function CRD as k8s/crds holds it. */
export function functionCrd(): Node {
  const [crd] = readObjects('crds/functions.isola.dev.yaml');
  if (crd?.kind !== 'CustomResourceDefinition') throw new Error('k8s/crds/functions.isola.dev.yaml holds no CustomResourceDefinition');
  return crd as unknown as Node;
}

/** The openAPIV3Schema of the CRD's storage version. */
export function functionOpenApiSchema(crd: Node = functionCrd()): Node {
  const versions = (crd.spec as { versions: { storage: boolean; schema: { openAPIV3Schema: Node } }[] }).versions;
  const storage = versions.find((version) => version.storage);
  if (storage === undefined) throw new Error('the Function CRD has no storage version');
  return storage.schema.openAPIV3Schema;
}

/**
 * The CRD schema as JSON Schema (draft-07): boolean exclusiveMinimum/Maximum become the bounds
 * themselves, nullable becomes a null type, int-or-string nodes take both; every object with
 * properties and without x-kubernetes-preserve-unknown-fields refuses other fields.
 */
export function toJsonSchema(node: Node, at: 'root' | 'structural' | 'junctor' = 'root'): Node {
  const out: Node = { ...node };
  for (const [flag, bound] of [['exclusiveMinimum', 'minimum'], ['exclusiveMaximum', 'maximum']] as const) {
    if (node[flag] === true) {
      out[flag] = node[bound];
      delete out[bound];
    } else if (node[flag] === false) {
      delete out[flag];
    }
  }
  if (node.nullable === true && typeof node.type === 'string') out.type = [node.type, 'null'];
  delete out.nullable;
  if (node['x-kubernetes-int-or-string'] === true && node.type === undefined) out.type = ['integer', 'string'];
  if (isNode(node.properties)) {
    out.properties = Object.fromEntries(
      Object.entries(node.properties).map(([key, value]) => {
        if (!isNode(value)) return [key, value];
        const converted = toJsonSchema(value, at === 'junctor' ? 'junctor' : 'structural');
        // The root's metadata is ObjectMeta: the schema restricts its name, the rest is the API's.
        if (at === 'root' && key === 'metadata') delete converted.additionalProperties;
        return [key, converted];
      }),
    );
    // Only structural nodes say which fields exist; a junctor's properties only validate them.
    if (at !== 'junctor' && node.additionalProperties === undefined && node['x-kubernetes-preserve-unknown-fields'] !== true) {
      out.additionalProperties = false;
    }
  }
  for (const key of ['items', 'additionalProperties', 'not'] as const) {
    if (isNode(node[key])) out[key] = toJsonSchema(node[key], key === 'not' || at === 'junctor' ? 'junctor' : 'structural');
  }
  for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
    if (Array.isArray(node[key])) out[key] = node[key].map((branch: unknown) => (isNode(branch) ? toJsonSchema(branch, 'junctor') : branch));
  }
  return out;
}

/** The formats Kubernetes knows that the CRD uses; ajv knows none by itself. */
function addFormats(ajv: Ajv): void {
  const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;
  ajv.addFormat('date-time', { type: 'string', validate: (value: string) => rfc3339.test(value) && !Number.isNaN(Date.parse(value)) });
  ajv.addFormat('int32', { type: 'number', validate: (value: number) => Number.isInteger(value) && value >= -(2 ** 31) && value < 2 ** 31 });
  ajv.addFormat('int64', { type: 'number', validate: (value: number) => Number.isSafeInteger(value) });
}

export interface FunctionValidation {
  ok: boolean;
  /** Each problem as `/spec/path: message`. */
  problems: string[];
}

/** A validator for Function objects (apiVersion, kind, metadata, spec) against the CRD's schema. */
export function functionValidator(schema: Node = functionOpenApiSchema()): (object: unknown) => FunctionValidation {
  // strictTypes and strictRequired off: junctor branches carry `required` alone, without a type
  // or the properties it names, as a CRD's junctors must.
  const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, strictRequired: false });
  ajv.addVocabulary(kubernetesKeywords);
  addFormats(ajv);
  const validate = ajv.compile(toJsonSchema(schema));
  return (object) => {
    const ok = validate(object);
    const errors: ErrorObject[] = validate.errors ?? [];
    return { ok, problems: errors.map((error) => `${error.instancePath || '/'}: ${error.message ?? error.keyword}${extra(error)}`) };
  };
}

function extra(error: ErrorObject): string {
  if (error.keyword === 'additionalProperties') return ` (${(error.params as { additionalProperty: string }).additionalProperty})`;
  return '';
}

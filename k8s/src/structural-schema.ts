// The rules an API server applies to a CustomResourceDefinition's openAPIV3Schema before it
// accepts it: the schema must be structural (apiextensions-apiserver, pkg/apiserver/schema:
// validation.go and complete.go) and keep to the OpenAPI v3.0 subset CRDs support
// (pkg/apis/apiextensions/validation). No API server runs here, so the tests check the CRD with
// this instead. Messages name the node the way the API server does, e.g.
// `openAPIV3Schema.properties[spec].type: must not be empty for specified object fields`.

type Node = Record<string, unknown>;
type Level = 'root' | 'item' | 'field';

/** Every field of JSONSchemaProps (apiextensions.k8s.io/v1): anything else is not a schema keyword. */
const knownKeys = new Set([
  '$ref', '$schema', 'id', 'description', 'type', 'format', 'title', 'default', 'maximum', 'exclusiveMaximum',
  'minimum', 'exclusiveMinimum', 'maxLength', 'minLength', 'pattern', 'maxItems', 'minItems', 'uniqueItems',
  'multipleOf', 'enum', 'maxProperties', 'minProperties', 'required', 'items', 'allOf', 'oneOf', 'anyOf', 'not',
  'properties', 'additionalProperties', 'patternProperties', 'dependencies', 'additionalItems', 'definitions',
  'externalDocs', 'example', 'nullable', 'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-embedded-resource',
  'x-kubernetes-int-or-string', 'x-kubernetes-list-map-keys', 'x-kubernetes-list-type', 'x-kubernetes-map-type',
  'x-kubernetes-validations',
]);
/** Known to JSONSchemaProps but refused in a CRD. */
const unsupportedKeys = ['$ref', '$schema', 'id', 'definitions', 'dependencies', 'patternProperties', 'additionalItems'];
const types = new Set(['array', 'boolean', 'integer', 'number', 'object', 'string']);
/** What a node under allOf/anyOf/oneOf/not may not say: it only adds value validations. */
const forbiddenInJunctors = [
  'type', 'default', 'description', 'title', 'additionalProperties', 'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-embedded-resource', 'x-kubernetes-int-or-string', 'x-kubernetes-list-map-keys',
  'x-kubernetes-list-type', 'x-kubernetes-map-type', 'x-kubernetes-validations',
];
const junctors = ['allOf', 'anyOf', 'oneOf'] as const;

const isNode = (value: unknown): value is Node => typeof value === 'object' && value !== null && !Array.isArray(value);
const propertiesOf = (node: Node): Record<string, unknown> => (isNode(node.properties) ? node.properties : {});

/**
 * Every reason the API server would refuse `schema` as a CRD version's openAPIV3Schema, or none.
 * Covers structurality (types everywhere, junctors that only validate, completeness, metadata)
 * and the OpenAPI subset (known keywords, boolean exclusive bounds, RE2-compatible patterns,
 * list and map extensions). CEL rules (x-kubernetes-validations) are not compiled.
 */
export function structuralSchemaProblems(schema: unknown, path = 'openAPIV3Schema'): string[] {
  const problems: string[] = [];
  if (!isNode(schema)) return [`${path}: must be an object`];
  checkStructural(schema, 'root', path, problems);
  return problems;
}

function checkStructural(node: Node, level: Level, path: string, problems: string[]): void {
  checkKeywords(node, path, problems);
  const type = node.type;
  const intOrString = node['x-kubernetes-int-or-string'] === true;
  const preserveUnknown = node['x-kubernetes-preserve-unknown-fields'] === true;
  if (type === undefined || type === '') {
    if (node['x-kubernetes-embedded-resource'] === true) problems.push(`${path}.type: must be object if x-kubernetes-embedded-resource is true`);
    else if (!intOrString && !preserveUnknown) {
      const where = { root: 'at the root', item: 'for specified array items', field: 'for specified object fields' }[level];
      problems.push(`${path}.type: must not be empty ${where}`);
    }
  } else if (typeof type !== 'string' || !types.has(type)) {
    problems.push(`${path}.type: ${JSON.stringify(type)} is not one of ${[...types].join(', ')}`);
  }
  if (level === 'root' && type !== undefined && type !== 'object') problems.push(`${path}.type: must be object at the root`);
  if (type === 'array' && node.items === undefined) problems.push(`${path}.items: must be specified`);
  if (intOrString && preserveUnknown) problems.push(`${path}.x-kubernetes-preserve-unknown-fields: must be false if x-kubernetes-int-or-string is true`);

  const additional = node.additionalProperties;
  if (additional !== undefined) {
    if (level === 'root') problems.push(`${path}.additionalProperties: must not be used at the root`);
    if (Object.keys(propertiesOf(node)).length > 0 && additional !== true) {
      problems.push(`${path}.additionalProperties: additionalProperties and properties are mutual exclusive`);
    }
  }
  checkListAndMapTypes(node, path, problems);
  if (level === 'root') checkRootMeta(node, path, problems);

  for (const [name, child] of Object.entries(propertiesOf(node))) {
    if (isNode(child)) checkStructural(child, 'field', `${path}.properties[${name}]`, problems);
    else problems.push(`${path}.properties[${name}]: must be a schema`);
  }
  if (isNode(node.items)) checkStructural(node.items, 'item', `${path}.items`, problems);
  if (isNode(additional)) checkStructural(additional, 'field', `${path}.additionalProperties`, problems);
  checkJunctors(node, node, path, problems);
}

/** Rules for every node, inside junctors or not: the vocabulary CRDs accept. */
function checkKeywords(node: Node, path: string, problems: string[]): void {
  for (const key of Object.keys(node)) {
    if (!knownKeys.has(key)) problems.push(`${path}.${key}: unknown field (not a schema keyword)`);
  }
  for (const key of unsupportedKeys) if (key in node) problems.push(`${path}.${key}: not supported in a CRD`);
  if (node.uniqueItems === true) problems.push(`${path}.uniqueItems: cannot be set to true since the runtime complexity becomes quadratic`);
  if (node.items !== undefined && !isNode(node.items)) problems.push(`${path}.items: must be a single schema`);
  for (const key of ['exclusiveMinimum', 'exclusiveMaximum']) {
    if (key in node && typeof node[key] !== 'boolean') problems.push(`${path}.${key}: must be a boolean (OpenAPI v3.0: a flag on minimum/maximum)`);
  }
  if ('x-kubernetes-preserve-unknown-fields' in node && node['x-kubernetes-preserve-unknown-fields'] !== true) {
    problems.push(`${path}.x-kubernetes-preserve-unknown-fields: must be true or undefined`);
  }
  if (node.pattern !== undefined) {
    const problem = patternProblem(node.pattern);
    if (problem !== null) problems.push(`${path}.pattern: ${problem}`);
  }
}

/** The API server compiles patterns with Go's RE2: no lookaround, no backreferences. */
function patternProblem(pattern: unknown): string | null {
  if (typeof pattern !== 'string') return 'must be a string';
  try {
    new RegExp(pattern, 'u');
  } catch (error) {
    return `must be a valid regular expression: ${(error as Error).message}`;
  }
  if (/\(\?<?[=!]/.test(pattern)) return 'uses lookaround, which RE2 (the API server) does not support';
  if (/\\[1-9]|\\k</.test(pattern)) return 'uses a backreference, which RE2 (the API server) does not support';
  return null;
}

function checkListAndMapTypes(node: Node, path: string, problems: string[]): void {
  const listType = node['x-kubernetes-list-type'];
  const mapKeys = node['x-kubernetes-list-map-keys'];
  if (listType !== undefined) {
    if (node.type !== 'array') problems.push(`${path}.type: must be array if x-kubernetes-list-type is specified`);
    if (listType !== 'atomic' && listType !== 'set' && listType !== 'map') problems.push(`${path}.x-kubernetes-list-type: must be atomic, set or map`);
  }
  if (Array.isArray(mapKeys) && mapKeys.length > 0 && listType !== 'map') {
    problems.push(`${path}.x-kubernetes-list-type: must be map if x-kubernetes-list-map-keys is non-empty`);
  }
  if (listType === 'map') {
    const items = isNode(node.items) ? node.items : undefined;
    if (!Array.isArray(mapKeys) || mapKeys.length === 0) problems.push(`${path}.x-kubernetes-list-map-keys: must not be empty if x-kubernetes-list-type is map`);
    if (items?.type !== 'object') problems.push(`${path}.items.type: must be object if x-kubernetes-list-type is map`);
    const required = new Set(Array.isArray(items?.required) ? (items.required as string[]) : []);
    for (const key of Array.isArray(mapKeys) ? (mapKeys as string[]) : []) {
      const property = items === undefined ? undefined : propertiesOf(items)[key];
      if (!isNode(property)) problems.push(`${path}.x-kubernetes-list-map-keys: ${key} must be the name of an item property`);
      else if (property.type === 'array' || property.type === 'object') problems.push(`${path}.items.properties[${key}].type: must be a scalar type`);
      else if (!required.has(key) && property.default === undefined) problems.push(`${path}.items.properties[${key}]: must have a default or be a required property`);
    }
  }
  if (node['x-kubernetes-map-type'] !== undefined && node.type !== 'object') {
    problems.push(`${path}.type: must be object if x-kubernetes-map-type is specified`);
  }
}

/** At the root, kind and apiVersion are strings and metadata may restrict name and generateName only. */
function checkRootMeta(node: Node, path: string, problems: string[]): void {
  const properties = propertiesOf(node);
  for (const key of ['kind', 'apiVersion']) {
    if (isNode(properties[key]) && properties[key].type !== 'string') problems.push(`${path}.properties[${key}].type: must be string`);
  }
  const metadata = properties.metadata;
  if (!isNode(metadata)) return;
  const where = `${path}.properties[metadata]`;
  if (metadata.type !== 'object') problems.push(`${where}.type: must be object`);
  const restricted = Object.keys(propertiesOf(metadata)).filter((key) => key !== 'name' && key !== 'generateName');
  const others = Object.keys(metadata).filter((key) => key !== 'type' && key !== 'properties');
  if (restricted.length > 0 || others.length > 0) {
    problems.push(`${where}: must not specify anything other than name and generateName, but specifies ${[...restricted, ...others].join(', ')}`);
  }
}

/** The int-or-string shapes: anyOf [{type: integer}, {type: string}], alone or first in allOf. */
function isIntOrStringAnyOf(anyOf: unknown): boolean {
  return (
    Array.isArray(anyOf) &&
    anyOf.length === 2 &&
    JSON.stringify(anyOf[0]) === JSON.stringify({ type: 'integer' }) &&
    JSON.stringify(anyOf[1]) === JSON.stringify({ type: 'string' })
  );
}

/**
 * allOf/anyOf/oneOf/not of `node` (a structural node or a node nested in a junctor), checked
 * against `structural`, the structural node they validate: they may only add value validations
 * (required, enum, pattern, bounds...) to fields and items `structural` specifies itself.
 */
function checkJunctors(node: Node, structural: Node | undefined, path: string, problems: string[]): void {
  const intOrString = structural?.['x-kubernetes-int-or-string'] === true;
  for (const junctor of junctors) {
    const branches = node[junctor];
    if (branches === undefined) continue;
    if (!Array.isArray(branches)) {
      problems.push(`${path}.${junctor}: must be a list of schemas`);
      continue;
    }
    if (intOrString && node === structural && junctor === 'anyOf' && isIntOrStringAnyOf(branches)) continue;
    branches.forEach((branch, index) => {
      if (!isNode(branch)) return problems.push(`${path}.${junctor}[${index}]: must be a schema`);
      const skipAnyOf = intOrString && node === structural && junctor === 'allOf' && index === 0 && isIntOrStringAnyOf(branch.anyOf);
      checkNested(skipAnyOf ? { ...branch, anyOf: undefined } : branch, structural, `${path}.${junctor}[${index}]`, problems);
    });
  }
  if (node.not !== undefined) {
    if (isNode(node.not)) checkNested(node.not, structural, `${path}.not`, problems);
    else problems.push(`${path}.not: must be a schema`);
  }
}

function checkNested(node: Node, structural: Node | undefined, path: string, problems: string[]): void {
  const defined = Object.fromEntries(Object.entries(node).filter(([, value]) => value !== undefined));
  checkKeywords(defined, path, problems);
  for (const key of forbiddenInJunctors) {
    if (key in defined) problems.push(`${path}.${key}: must be undefined to be structural (a junctor only adds value validations)`);
  }
  if (defined.nullable === true) problems.push(`${path}.nullable: must be false to be structural`);
  const properties = propertiesOf(defined);
  if ('metadata' in properties) problems.push(`${path}.properties[metadata]: must not be specified in a nested context`);
  const specified = structural === undefined ? {} : propertiesOf(structural);
  for (const [name, child] of Object.entries(properties)) {
    const counterpart = isNode(specified[name]) ? specified[name] : undefined;
    if (counterpart === undefined) problems.push(`${path}.properties[${name}]: not specified outside the junctor (every field must be, with its type)`);
    if (isNode(child)) checkNested(child, counterpart, `${path}.properties[${name}]`, problems);
  }
  if (defined.items !== undefined) {
    const counterpart = structural !== undefined && isNode(structural.items) ? structural.items : undefined;
    if (counterpart === undefined) problems.push(`${path}.items: not specified outside the junctor`);
    if (isNode(defined.items)) checkNested(defined.items, counterpart, `${path}.items`, problems);
  }
  checkJunctors(defined, structural, path, problems);
}

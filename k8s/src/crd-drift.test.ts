// The Function CRD against the manifest it wraps (core's manifestSchema, through the JSON Schema
// core publishes): the same fields at every level, and nothing a valid manifest may hold refused
// by the CRD. Its spec is the manifest without `name` (metadata.name) plus source, alias and weights.
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { manifestJsonSchema, validateManifest } from '@isola/core';
import { parse } from 'yaml';
import { functionOpenApiSchema, functionValidator, toJsonSchema } from './function-schema.js';
import { k8sDir } from './kustomize.js';

type Node = Record<string, unknown>;

const crdOnly = ['source', 'alias', 'weights'];
const manifestOnly = ['name'];

const isNode = (value: unknown): value is Node => typeof value === 'object' && value !== null && !Array.isArray(value);
const keys = (node: unknown) => (isNode(node) && isNode(node.properties) ? Object.keys(node.properties).sort() : []);

const crdRoot = toJsonSchema(functionOpenApiSchema());
const crdSpec = (crdRoot.properties as Node).spec as Node;
const manifest = manifestJsonSchema();

/** An object node's fields; for a union of objects (bindings), every branch's, each with its schemas. */
function objectShape(node: Node): { fields: Map<string, Node[]>; required: Set<string> } | undefined {
  const branches = (node.oneOf ?? node.anyOf ?? [node]) as Node[];
  if (!branches.every((branch) => isNode(branch.properties))) return undefined;
  const fields = new Map<string, Node[]>();
  for (const branch of branches) {
    for (const [name, schema] of Object.entries(branch.properties as Record<string, Node>)) fields.set(name, [...(fields.get(name) ?? []), schema]);
  }
  // Required only where every branch requires it.
  const requiredSets = branches.map((branch) => new Set((branch.required as string[] | undefined) ?? []));
  const required = new Set([...(requiredSets[0] ?? [])].filter((name) => requiredSets.every((set) => set.has(name))));
  return { fields, required };
}

function lowerBound(node: Node): { value: number; exclusive: boolean } | undefined {
  if (typeof node.exclusiveMinimum === 'number') return { value: node.exclusiveMinimum, exclusive: true };
  if (typeof node.minimum === 'number') return { value: node.minimum, exclusive: false };
  return undefined;
}

function upperBound(node: Node): { value: number; exclusive: boolean } | undefined {
  if (typeof node.exclusiveMaximum === 'number') return { value: node.exclusiveMaximum, exclusive: true };
  if (typeof node.maximum === 'number') return { value: node.maximum, exclusive: false };
  return undefined;
}

/**
 * Walks a CRD node and the manifest node it stands for. Problems: fields that differ, a type
 * that differs, and any rule of the CRD narrower than the manifest's (bounds, lengths, enums,
 * patterns, required fields), since such a rule refuses a manifest the platform accepts.
 */
function compare(crd: Node, man: Node, path: string, visited: Set<string>, problems: string[]): void {
  visited.add(path);
  if (crd['x-kubernetes-preserve-unknown-fields'] === true && crd.type === undefined) return; // takes anything
  const shape = objectShape(man);
  if (isNode(crd.properties)) {
    if (shape === undefined) return void problems.push(`${path}: an object in the CRD, not in the manifest`);
    const crdFields = Object.keys(crd.properties).sort();
    const manifestFields = [...shape.fields.keys()].sort();
    if (JSON.stringify(crdFields) !== JSON.stringify(manifestFields)) {
      problems.push(`${path}: fields ${crdFields.join(', ')} in the CRD, ${manifestFields.join(', ')} in the manifest`);
    }
    for (const name of (crd.required as string[] | undefined) ?? []) {
      if (!shape.required.has(name)) problems.push(`${path}.${name}: required by the CRD, optional in the manifest`);
    }
    for (const [name, schemas] of shape.fields) {
      const field = (crd.properties as Record<string, Node>)[name];
      if (field !== undefined) for (const schema of schemas) compare(field, schema, `${path}.${name}`, visited, problems);
    }
    return;
  }
  if (man.type !== undefined && crd.type !== undefined && man.type !== crd.type && !(crd.type === 'number' && man.type === 'integer')) {
    problems.push(`${path}: type ${String(crd.type)} in the CRD, ${String(man.type)} in the manifest`);
  }
  const [crdLow, manLow, crdHigh, manHigh] = [lowerBound(crd), lowerBound(man), upperBound(crd), upperBound(man)];
  if (crdLow !== undefined && (manLow === undefined || manLow.value < crdLow.value || (manLow.value === crdLow.value && crdLow.exclusive && !manLow.exclusive))) {
    problems.push(`${path}: the CRD's lower bound ${JSON.stringify(crdLow)} is above the manifest's ${JSON.stringify(manLow)}`);
  }
  if (crdHigh !== undefined && (manHigh === undefined || manHigh.value > crdHigh.value || (manHigh.value === crdHigh.value && crdHigh.exclusive && !manHigh.exclusive))) {
    problems.push(`${path}: the CRD's upper bound ${JSON.stringify(crdHigh)} is below the manifest's ${JSON.stringify(manHigh)}`);
  }
  for (const [min, max] of [['minLength', 'maxLength'], ['minItems', 'maxItems'], ['minProperties', 'maxProperties']] as const) {
    if (typeof crd[min] === 'number' && crd[min] > ((man[min] as number | undefined) ?? 0)) problems.push(`${path}: ${min} ${crd[min]} in the CRD, ${String(man[min])} in the manifest`);
    if (typeof crd[max] === 'number' && !(typeof man[max] === 'number' && man[max] <= crd[max])) problems.push(`${path}: ${max} ${crd[max]} in the CRD, ${String(man[max])} in the manifest`);
  }
  if (Array.isArray(crd.enum)) {
    const values = (man.enum as unknown[] | undefined) ?? ('const' in man ? [man.const] : undefined);
    const missing = values === undefined ? ['(any value)'] : values.filter((value) => !(crd.enum as unknown[]).includes(value));
    if (missing.length > 0) problems.push(`${path}: the manifest allows ${missing.join(', ')}, the CRD's enum does not`);
  }
  if (crd.pattern !== undefined && crd.pattern !== man.pattern) problems.push(`${path}: pattern ${String(crd.pattern)} in the CRD, ${String(man.pattern)} in the manifest`);
  if (isNode(crd.items)) {
    if (isNode(man.items)) compare(crd.items, man.items, `${path}[]`, visited, problems);
    else problems.push(`${path}: a list in the CRD, not in the manifest`);
  }
  if (isNode(crd.additionalProperties)) {
    if (isNode(man.additionalProperties)) compare(crd.additionalProperties, man.additionalProperties, `${path}{}`, visited, problems);
    else problems.push(`${path}: a map in the CRD, not in the manifest`);
  }
}

/** The CRD's spec without its own fields, and the manifest without name: what must correspond. */
function comparable(): { crd: Node; man: Node } {
  const without = (node: Node, names: string[]): Node => ({
    ...node,
    properties: Object.fromEntries(Object.entries(node.properties as Node).filter(([name]) => !names.includes(name))),
    required: ((node.required as string[] | undefined) ?? []).filter((name) => !names.includes(name)),
  });
  return { crd: without(crdSpec, crdOnly), man: without(manifest, manifestOnly) };
}

test("the CRD's spec fields are the manifest's, without name, plus source, alias and weights", () => {
  const expected = [...keys(manifest).filter((name) => !manifestOnly.includes(name)), ...crdOnly].sort();
  assert.deepEqual(keys(crdSpec), expected);
  // name lives in metadata.name, under the manifest's own rule.
  const crdName = ((crdRoot.properties as Node).metadata as { properties: { name: Node } }).properties.name;
  assert.equal(crdName.pattern, ((manifest.properties as Node).name as Node).pattern);
});

test('the CRD and the manifest have the same fields at every level, and the CRD is never narrower', () => {
  const { crd, man } = comparable();
  const visited = new Set<string>();
  const problems: string[] = [];
  compare(crd, man, 'spec', visited, problems);
  assert.deepEqual(problems, []);
  // The walk reached every nested object (it cannot pass by skipping them).
  for (const path of ['spec.limits', 'spec.limits.rateLimit', 'spec.routes[]', 'spec.queues[]', 'spec.async', 'spec.async.backoff', 'spec.bindings{}', 'spec.crons[]', 'spec.vars{}']) {
    assert.ok(visited.has(path), `compared ${path}`);
  }
});

test('the drift check notices a missing field, a narrower bound and a stricter enum', () => {
  const { crd, man } = comparable();
  const changed = structuredClone(crd) as { properties: Record<string, Node & { properties: Record<string, Node> }> };
  delete changed.properties.limits!.properties.maxInFlight;
  changed.properties.limits!.properties.memoryMb!.maximum = 1024;
  (changed.properties.routes!.items as { properties: { methods: { items: Node } } }).properties.methods.items.enum = ['GET', 'POST'];
  const problems: string[] = [];
  compare(changed, man, 'spec', new Set(), problems);
  assert.equal(problems.length, 3, problems.join('\n'));
  assert.match(problems[0] ?? '', /^spec\.limits: fields .* in the CRD, .*maxInFlight.* in the manifest/);
  assert.match(problems.join('\n'), /spec\.limits\.memoryMb: the CRD's upper bound .* is below the manifest's/);
  assert.match(problems.join('\n'), /spec\.routes\[\]\.methods\[\]: the manifest allows HEAD, PUT, PATCH, DELETE, OPTIONS/);
});

/** isola.yaml as a Function: name becomes metadata.name, an inline source holds main. */
function asFunction(manifestInput: Node): Node {
  const { name, ...spec } = manifestInput;
  return {
    apiVersion: 'isola.dev/v1alpha1',
    kind: 'Function',
    metadata: { name, namespace: 'isola' },
    spec: { ...spec, source: { inline: { files: { [String(spec.main)]: 'export default {};' } } } },
  };
}

const examplesDir = join(k8sDir, '..', 'functions-examples');
const exampleManifests = readdirSync(examplesDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && readdirSync(join(examplesDir, entry.name)).includes('isola.yaml'))
  .map((entry) => entry.name)
  .sort();

test('the CRD accepts every example function of functions-examples/ as a Function', () => {
  assert.ok(exampleManifests.length >= 10, `found ${exampleManifests.join(', ')}`);
  const validate = functionValidator();
  for (const example of exampleManifests) {
    const input = parse(readFileSync(join(examplesDir, example, 'isola.yaml'), 'utf8')) as Node;
    assert.ok(validateManifest(input).ok, `${example}/isola.yaml is a valid manifest`);
    const result = validate(asFunction(input));
    assert.ok(result.ok, `${example}:\n${result.problems.join('\n')}`);
  }
});

test('the CRD accepts a manifest that uses every field, each form of each', () => {
  const everything = {
    name: 'cart-api',
    main: 'src/index.ts',
    limits: { memoryMb: 4096, timeoutMs: 900000, concurrency: 1000, maxInFlight: 100000, rateLimit: { qps: 0.5, burst: 3 } },
    vars: { GREETING: 'hello', _X1: '' },
    secrets: ['STRIPE_KEY'],
    routes: [{ path: '/api/cart/*', methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] }, { path: '/api/other' }],
    crons: ['*/5 * * * *', { schedule: '0 9 * * 1', timezone: 'Asia/Shanghai' }, { schedule: '0 0 1 * *' }],
    queues: [{ topic: 'orders', batchSize: 1000, maxBatchWaitMs: 0, maxRetries: 100, deadLetter: 'orders-dlq' }, { topic: 'refunds' }],
    async: { retries: 0, backoff: { baseMs: 10, maxMs: 86400000 }, maxQueueDepth: 10000000 },
    bindings: {
      CART: { type: 'state', store: 'statestore' },
      EVENTS: { type: 'pubsub', pubsub: 'pubsub', topic: 'orders' },
      FLAGS: { type: 'config', store: 'configstore' },
      LOCKS: { type: 'lock', store: 'lockstore' },
      VAULT: { type: 'secret', store: 'secretstore' },
      PRICER: { type: 'service', function: 'pricer' },
      OUTBOX: { type: 'queue', topic: 'outbox' },
      AUDIT: { type: 'queue', topic: 'audit', pubsub: 'pubsub' },
    },
    egress: ['api.example.com', '*.example.org', 'localhost:8080', '[::1]:9000'],
    public: true,
  };
  const manifestResult = validateManifest(everything);
  assert.ok(manifestResult.ok, JSON.stringify(manifestResult));
  const result = functionValidator()(asFunction(everything));
  assert.ok(result.ok, result.problems.join('\n'));
});

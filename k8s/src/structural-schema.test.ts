// The structural-schema check itself: each rule refuses the schema it is about (with the API
// server's wording where it has one), and what Kubernetes allows passes.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { structuralSchemaProblems } from './structural-schema.js';

type Schema = Record<string, unknown>;

/** A small structural schema, the starting point each case breaks in one place. */
function base(spec: Schema = {}): Schema {
  return {
    type: 'object',
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { type: 'object' },
      spec: { type: 'object', properties: { size: { type: 'integer' }, name: { type: 'string' }, ...spec } },
    },
  };
}

const refused: { name: string; schema: Schema; problem: RegExp }[] = [
  {
    name: 'a field without a type',
    schema: base({ size: { minimum: 1 } }),
    problem: /properties\[spec\]\.properties\[size\]\.type: must not be empty for specified object fields/,
  },
  {
    name: 'array items without a type',
    schema: base({ tags: { type: 'array', items: { description: 'x' } } }),
    problem: /properties\[tags\]\.items\.type: must not be empty for specified array items/,
  },
  { name: 'an array without items', schema: base({ tags: { type: 'array' } }), problem: /properties\[tags\]\.items: must be specified/ },
  { name: 'a root that is not an object', schema: { type: 'string' }, problem: /openAPIV3Schema\.type: must be object at the root/ },
  { name: 'an unknown type', schema: base({ size: { type: 'int' } }), problem: /properties\[size\]\.type: "int" is not one of/ },
  {
    name: 'a type inside oneOf',
    schema: base({ size: { type: 'integer', oneOf: [{ type: 'integer', minimum: 1 }, { type: 'string' }] } }),
    problem: /properties\[size\]\.oneOf\[0\]\.type: must be undefined to be structural/,
  },
  {
    name: 'a field defined only inside anyOf',
    schema: { ...base(), anyOf: [{ properties: { extra: { minimum: 1 } } }] },
    problem: /openAPIV3Schema\.anyOf\[0\]\.properties\[extra\]: not specified outside the junctor/,
  },
  {
    name: 'a field defined only inside not',
    schema: base({ size: { type: 'integer' }, source: { type: 'object', properties: { a: { type: 'string' } }, not: { properties: { b: {} } } } }),
    problem: /properties\[source\]\.not\.properties\[b\]: not specified outside the junctor/,
  },
  {
    name: 'items defined only inside allOf',
    schema: base({ name: { type: 'string', allOf: [{ items: { minLength: 1 } }] } }),
    problem: /properties\[name\]\.allOf\[0\]\.items: not specified outside the junctor/,
  },
  {
    name: 'additionalProperties inside a junctor',
    schema: base({ vars: { type: 'object', additionalProperties: { type: 'string' }, allOf: [{ additionalProperties: { minLength: 1 } }] } }),
    problem: /properties\[vars\]\.allOf\[0\]\.additionalProperties: must be undefined to be structural/,
  },
  {
    name: 'a description inside a junctor',
    schema: base({ size: { type: 'integer', anyOf: [{ minimum: 1, description: 'positive' }] } }),
    problem: /anyOf\[0\]\.description: must be undefined to be structural/,
  },
  {
    name: 'metadata inside a junctor',
    schema: { ...base(), oneOf: [{ properties: { metadata: {} } }] },
    problem: /oneOf\[0\]\.properties\[metadata\]: must not be specified in a nested context/,
  },
  {
    name: 'properties together with additionalProperties',
    schema: base({ vars: { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: { type: 'string' } } }),
    problem: /properties\[vars\]\.additionalProperties: additionalProperties and properties are mutual exclusive/,
  },
  {
    name: 'additionalProperties: false beside properties',
    schema: base({ vars: { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false } }),
    problem: /properties\[vars\]\.additionalProperties: additionalProperties and properties are mutual exclusive/,
  },
  {
    name: 'additionalProperties at the root',
    schema: { ...base(), additionalProperties: { type: 'string' } },
    problem: /openAPIV3Schema\.additionalProperties: must not be used at the root/,
  },
  {
    name: 'metadata restricting more than name and generateName',
    schema: { ...base(), properties: { ...(base().properties as Schema), metadata: { type: 'object', properties: { labels: { type: 'object' } } } } },
    problem: /properties\[metadata\]: must not specify anything other than name and generateName, but specifies labels/,
  },
  {
    name: 'a description on metadata',
    schema: { ...base(), properties: { ...(base().properties as Schema), metadata: { type: 'object', description: 'the metadata' } } },
    problem: /properties\[metadata\]: must not specify anything other than name and generateName, but specifies description/,
  },
  {
    name: 'kind that is not a string',
    schema: { ...base(), properties: { ...(base().properties as Schema), kind: { type: 'integer' } } },
    problem: /properties\[kind\]\.type: must be string/,
  },
  {
    // What an unquoted comma in a YAML flow mapping makes: `{ description: a, b. }` has a key "b.".
    name: 'a key that is no schema keyword',
    schema: base({ name: { type: 'string', description: 'The SHA-256 of the file', 'hex; a mismatch deploys nothing.': null } }),
    problem: /properties\[name\]\.hex; a mismatch deploys nothing\.: unknown field/,
  },
  { name: 'a $ref', schema: base({ name: { type: 'string', $ref: '#/definitions/name' } }), problem: /properties\[name\]\.\$ref: not supported in a CRD/ },
  {
    name: 'a numeric exclusiveMinimum (JSON Schema, not OpenAPI v3.0)',
    schema: base({ size: { type: 'number', exclusiveMinimum: 0 } }),
    problem: /properties\[size\]\.exclusiveMinimum: must be a boolean/,
  },
  { name: 'uniqueItems', schema: base({ tags: { type: 'array', items: { type: 'string' }, uniqueItems: true } }), problem: /uniqueItems: cannot be set to true/ },
  {
    name: 'a lookahead in a pattern (RE2 has none)',
    schema: base({ name: { type: 'string', pattern: '^(?!/)(?!.*\\.\\.)' } }),
    problem: /properties\[name\]\.pattern: uses lookaround/,
  },
  {
    name: 'x-kubernetes-preserve-unknown-fields: false',
    schema: base({ extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': false } }),
    problem: /properties\[extra\]\.x-kubernetes-preserve-unknown-fields: must be true or undefined/,
  },
  {
    name: 'a list-map key that is not required',
    schema: base({
      conditions: {
        type: 'array',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['type'],
        items: { type: 'object', properties: { type: { type: 'string' } } },
      },
    }),
    problem: /properties\[conditions\]\.items\.properties\[type\]: must have a default or be a required property/,
  },
  {
    name: 'list-map keys without list-type map',
    schema: base({ conditions: { type: 'array', 'x-kubernetes-list-map-keys': ['type'], items: { type: 'object', required: ['type'], properties: { type: { type: 'string' } } } } }),
    problem: /properties\[conditions\]\.x-kubernetes-list-type: must be map if x-kubernetes-list-map-keys is non-empty/,
  },
];

for (const { name, schema, problem } of refused) {
  test(`the structural-schema check refuses ${name}`, () => {
    const problems = structuralSchemaProblems(schema);
    assert.ok(
      problems.some((p) => problem.test(p)),
      `expected a problem matching ${problem}, got:\n${problems.join('\n') || '(none)'}`,
    );
  });
}

test('the structural-schema check accepts what Kubernetes allows', () => {
  const allowed = {
    ...base({
      // Value validations only, in every junctor, on fields specified outside them.
      source: {
        type: 'object',
        properties: { inline: { type: 'string' }, url: { type: 'string' } },
        oneOf: [{ required: ['inline'] }, { required: ['url'] }],
        not: { properties: { url: { pattern: '^ftp:' } } },
        allOf: [{ anyOf: [{ required: ['inline'] }, { required: ['url'] }] }],
      },
      // No type where the node preserves unknown fields or is an int-or-string.
      anything: { 'x-kubernetes-preserve-unknown-fields': true },
      port: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
      replicas: { 'x-kubernetes-int-or-string': true, allOf: [{ anyOf: [{ type: 'integer' }, { type: 'string' }] }, { pattern: '^\\d+%?$' }] },
      vars: { type: 'object', additionalProperties: { type: 'string' } },
      qps: { type: 'number', minimum: 0, exclusiveMinimum: true },
      conditions: {
        type: 'array',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['type'],
        items: { type: 'object', required: ['type'], properties: { type: { type: 'string' } } },
      },
    }),
  };
  (allowed.properties as Schema).metadata = { type: 'object', properties: { name: { type: 'string', pattern: '^[a-z]+$' }, generateName: { type: 'string' } } };
  assert.deepEqual(structuralSchemaProblems(allowed), []);
});

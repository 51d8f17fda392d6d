// The Function CRD (k8s/crds): an API server would accept it (structural schema), the examples in
// k8s/examples are valid Functions, and broken Functions are refused.
import { strict as assert } from 'node:assert';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { CustomResourceDefinition } from 'kubernetes-models/apiextensions.k8s.io/v1';
import { ConfigMap } from 'kubernetes-models/v1';
import { functionCrd, functionValidator } from './function-schema.js';
import { k8sDir, readObjects, type K8sObject } from './kustomize.js';
import { structuralSchemaProblems } from './structural-schema.js';

const crd = functionCrd();
let validator: ReturnType<typeof functionValidator> | undefined;
/** Compiled on first use, so that a schema ajv refuses fails the tests that use it, not the file. */
const validateFunction = (object: unknown) => (validator ??= functionValidator())(object);

interface FunctionSpec {
  main: string;
  source: {
    inline?: { files: Record<string, string> };
    configMap?: { name: string; items?: { key: string; path: string }[] };
    url?: { url: string; sha256: string };
  };
  [field: string]: unknown;
}

const exampleFiles = readdirSync(`${k8sDir}/examples`).filter((file) => file.endsWith('.yaml')).sort();

test('the Function CRD is a valid CustomResourceDefinition with a structural schema', () => {
  assert.doesNotThrow(() => new CustomResourceDefinition(crd as never).validate());
  const versions = (crd.spec as { versions: { name: string; schema: { openAPIV3Schema: unknown } }[] }).versions;
  assert.ok(versions.length > 0);
  for (const version of versions) {
    assert.deepEqual(structuralSchemaProblems(version.schema.openAPIV3Schema, `${version.name}.openAPIV3Schema`), []);
  }
});

test('k8s/examples holds the four example Functions', () => {
  assert.deepEqual(exampleFiles, ['canary.yaml', 'from-configmap.yaml', 'from-url.yaml', 'hello-inline.yaml']);
});

for (const file of exampleFiles) {
  test(`examples/${file}: every object is valid (Functions against the CRD, the rest against Kubernetes)`, () => {
    const objects = readObjects(`examples/${file}`);
    assert.ok(objects.some((o) => o.kind === 'Function'), 'holds a Function');
    for (const object of objects) {
      const where = `${object.kind}/${object.metadata.name}`;
      // The operator watches the namespace it runs in: isola in both overlays.
      assert.equal(object.metadata.namespace, 'isola', where);
      if (object.apiVersion === 'isola.dev/v1alpha1' && object.kind === 'Function') {
        const result = validateFunction(object);
        assert.ok(result.ok, `${where}:\n${result.problems.join('\n')}`);
      } else if (object.apiVersion === 'v1' && object.kind === 'ConfigMap') {
        assert.doesNotThrow(() => new ConfigMap(object as never).validate(), where);
      } else {
        assert.fail(`${where}: no validator for ${object.apiVersion} ${object.kind}`);
      }
    }
  });

  test(`examples/${file}: main is among the files the source gives`, () => {
    const objects = readObjects(`examples/${file}`);
    for (const fn of objects.filter((o) => o.kind === 'Function')) {
      const spec = fn.spec as unknown as FunctionSpec;
      const { inline, configMap, url } = spec.source;
      if (inline !== undefined) {
        assert.ok(spec.main in inline.files, `${spec.main} in ${Object.keys(inline.files).join(', ')}`);
      } else if (configMap !== undefined) {
        const map = objects.find((o): o is K8sObject & { data: Record<string, string> } => o.kind === 'ConfigMap' && o.metadata.name === configMap.name);
        assert.ok(map, `ConfigMap ${configMap.name} in the same file`);
        const items = configMap.items ?? Object.keys(map.data).map((key) => ({ key, path: key }));
        for (const item of items) assert.ok(item.key in map.data, `key ${item.key} in ConfigMap ${configMap.name}`);
        assert.ok(items.some((item) => item.path === spec.main), `an item becomes ${spec.main}`);
      } else {
        // A URL's archive is not here to look into; the file says what to put there instead.
        assert.ok(url !== undefined);
      }
    }
  });
}

/** A valid Function to break one field at a time. */
function validFunction(): { apiVersion: string; kind: string; metadata: { name: string; namespace: string }; spec: Record<string, unknown> } {
  return {
    apiVersion: 'isola.dev/v1alpha1',
    kind: 'Function',
    metadata: { name: 'hello', namespace: 'isola' },
    spec: { main: 'src/index.js', source: { inline: { files: { 'src/index.js': 'export default {};' } } } },
  };
}

const broken: { name: string; change: (fn: ReturnType<typeof validFunction>) => void; problem: RegExp }[] = [
  { name: 'no source', change: (fn) => delete fn.spec.source, problem: /^\/spec: must have required property 'source'/ },
  {
    name: 'two sources',
    change: (fn) => (fn.spec.source = { inline: { files: { 'src/index.js': '' } }, configMap: { name: 'code' } }),
    problem: /^\/spec\/source: must match exactly one schema in oneOf/,
  },
  { name: 'an empty source', change: (fn) => (fn.spec.source = {}), problem: /^\/spec\/source: must match exactly one schema in oneOf/ },
  {
    name: 'a sha256 that is not 64 hex digits',
    change: (fn) => (fn.spec.source = { url: { url: 'https://example.com/f.js', sha256: 'ABC123' } }),
    problem: /^\/spec\/source\/url\/sha256: must match pattern/,
  },
  {
    name: 'a URL that is not http(s)',
    change: (fn) => (fn.spec.source = { url: { url: 'ftp://example.com/f.js', sha256: '0'.repeat(64) } }),
    problem: /^\/spec\/source\/url\/url: must match pattern/,
  },
  { name: 'a weight of 150', change: (fn) => (fn.spec.weights = { '3': 150 }), problem: /^\/spec\/weights\/3: must be <= 100/ },
  { name: 'a fractional weight', change: (fn) => (fn.spec.weights = { '3': 89.5, current: 10.5 }), problem: /^\/spec\/weights\/3: must be integer/ },
  { name: 'an alias starting with a digit', change: (fn) => (fn.spec.alias = '1st'), problem: /^\/spec\/alias: must match pattern/ },
  { name: 'no main', change: (fn) => delete fn.spec.main, problem: /^\/spec: must have required property 'main'/ },
  { name: 'a misspelt field', change: (fn) => (fn.spec.publc = true), problem: /^\/spec: must NOT have additional properties \(publc\)/ },
  { name: 'a memory limit above 4096 MB', change: (fn) => (fn.spec.limits = { memoryMb: 8192 }), problem: /^\/spec\/limits\/memoryMb: must be <= 4096/ },
  {
    name: 'a rate limit of 0 requests per second',
    change: (fn) => (fn.spec.limits = { rateLimit: { qps: 0 } }),
    problem: /^\/spec\/limits\/rateLimit\/qps: must be > 0/,
  },
  { name: 'a binding of an unknown type', change: (fn) => (fn.spec.bindings = { DB: { type: 'sql' } }), problem: /^\/spec\/bindings\/DB\/type: must be equal to one of/ },
  { name: 'a name that is no DNS label', change: (fn) => (fn.metadata.name = 'hello.world'), problem: /^\/metadata\/name: must match pattern/ },
];

test('a valid Function passes (the starting point of the broken ones)', () => {
  const result = validateFunction(validFunction());
  assert.ok(result.ok, result.problems.join('\n'));
});

for (const { name, change, problem } of broken) {
  test(`the CRD schema refuses a Function with ${name}`, () => {
    const fn = validFunction();
    change(fn);
    const result = validateFunction(fn);
    assert.equal(result.ok, false, 'accepted');
    assert.ok(
      result.problems.some((p) => problem.test(p)),
      `expected a problem matching ${problem}, got:\n${result.problems.join('\n')}`,
    );
  });
}

test('status conditions take RFC 3339 times only', () => {
  const fn = {
    ...validFunction(),
    status: { version: 3, conditions: [{ type: 'Ready', status: 'True', reason: 'Deployed', message: '', lastTransitionTime: '2026-12-06T14:00:00Z' }] },
  };
  assert.ok(validateFunction(fn).ok, validateFunction(fn).problems.join('\n'));
  fn.status.conditions[0]!.lastTransitionTime = 'yesterday';
  assert.match(validateFunction(fn).problems.join('\n'), /lastTransitionTime: must match format "date-time"/);
});

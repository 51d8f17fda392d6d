// The overlays applied with the real kubectl (client-side apply, --validate=false) against the
// fake API server: every object `kubectl kustomize` renders must be created as rendered, a
// second apply must change nothing, and kubectl get/delete must work, including for a Function
// once its CRD is in. Generic over whatever the overlays render.
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { FakeApiServer, type K8sObject } from '@isola/operator/testing';
import { parseAllDocuments, stringify } from 'yaml';

const k8sDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const overlays = ['dev', 'prod'] as const;
const haveKubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
const skip = haveKubectl ? false : 'kubectl is not on PATH (npm test installs it: node scripts/ensure.mjs test)';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs kubectl without blocking the event loop: the fake answers from this process. */
function kubectl(env: NodeJS.ProcessEnv, args: string[], input?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('kubectl', args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

async function ok(env: NodeJS.ProcessEnv, args: string[], input?: string): Promise<string> {
  const run = await kubectl(env, args, input);
  assert.equal(run.code, 0, `kubectl ${args.join(' ')} exited ${run.code}:\n${run.stderr}${run.stdout}`);
  return run.stdout;
}

/** A fake API server and an environment whose kubectl talks to it (kubeconfig and cache in a temp HOME). */
async function cluster(t: TestContext) {
  const fake = await FakeApiServer.start();
  const home = mkdtempSync(join(tmpdir(), 'isola-apply-'));
  t.after(async () => {
    await fake.close();
    rmSync(home, { recursive: true, force: true });
  });
  const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'], HOME: home, KUBECONFIG: fake.writeKubeconfig(join(home, 'kubeconfig')) };
  return { fake, env };
}

function parseObjects(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((document) => {
      if (document.errors.length > 0) throw new Error(document.errors.map(String).join('; '));
      return document.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}

const describe = (o: K8sObject) => `${o.kind}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
const stored = (fake: FakeApiServer, o: K8sObject) => fake.getObject(o.apiVersion, o.kind, o.metadata.namespace ?? null, o.metadata.name ?? '');

/** Every field the manifest sets is stored as set (Secrets: stringData ends up base64 in data). */
function assertStoredAsRendered(rendered: K8sObject, actual: K8sObject | undefined): void {
  const name = describe(rendered);
  assert.ok(actual, `${name} was not created`);
  for (const [key, value] of Object.entries(rendered)) {
    if (key === 'metadata' || key === 'status') continue;
    if (rendered.kind === 'Secret' && key === 'stringData') {
      const data = (actual['data'] ?? {}) as Record<string, string>;
      for (const [k, v] of Object.entries(value as Record<string, string>)) {
        assert.equal(Buffer.from(data[k] ?? '', 'base64').toString(), v, `${name}: stringData.${k}`);
      }
    } else if (rendered.kind === 'Secret' && key === 'data') {
      for (const [k, v] of Object.entries(value as Record<string, string>)) assert.equal((actual['data'] as Record<string, string>)[k], v, `${name}: data.${k}`);
    } else {
      assert.deepEqual(actual[key], value, `${name}: ${key}`);
    }
  }
  for (const field of ['labels', 'annotations'] as const) {
    for (const [k, v] of Object.entries(rendered.metadata[field] ?? {})) assert.equal(actual.metadata[field]?.[k], v, `${name}: metadata.${field}.${k}`);
  }
  assert.ok(actual.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration'], `${name}: kubectl records what it applied`);
}

/** What a second apply must leave alone: the whole stored object but its resourceVersion. */
const snapshot = (o: K8sObject | undefined) => o && { ...o, metadata: { ...o.metadata, resourceVersion: undefined } };

for (const overlay of overlays) {
  test(`${overlay}: kubectl apply creates every rendered object as rendered; a second apply changes nothing`, { skip }, async (t) => {
    const { fake, env } = await cluster(t);
    const manifest = await ok(env, ['kustomize', join(k8sDir, 'overlays', overlay)]);
    const objects = parseObjects(manifest);
    assert.ok(objects.length > 0, 'the overlay renders objects');

    const first = await ok(env, ['apply', '--validate=false', '-f', '-'], manifest);
    assert.equal(first.trim().split('\n').length, objects.length, first);
    assert.ok(first.trim().split('\n').every((line) => line.endsWith(' created')), first);
    for (const object of objects) assertStoredAsRendered(object, stored(fake, object));
    const before = objects.map((o) => snapshot(stored(fake, o)));

    const second = await ok(env, ['apply', '--validate=false', '-f', '-'], manifest);
    assert.ok(second.trim().split('\n').every((line) => / (unchanged|configured)$/.test(line)), second);
    assert.deepEqual(objects.map((o) => snapshot(stored(fake, o))), before, 'the second apply changed what was stored');

    // kubectl get of every rendered kind finds every rendered object.
    const kinds = [...new Set(objects.map((o) => o.kind.toLowerCase()))];
    const listed = JSON.parse(await ok(env, ['get', kinds.join(','), '--all-namespaces', '-o', 'json'])) as { items: K8sObject[] };
    const found = new Set(listed.items.map(describe));
    for (const object of objects) assert.ok(found.has(describe(object)), `kubectl get does not list ${describe(object)}`);
    const workloads = objects.filter((o) => o.kind === 'Deployment');
    if (workloads.length > 0) {
      const table = await ok(env, ['get', 'deployments', '-n', workloads[0]?.metadata.namespace ?? 'default']);
      assert.match(table, /^NAME\s+AGE\n/);
      for (const deployment of workloads) assert.match(table, new RegExp(`^${deployment.metadata.name}\\s+\\d+s$`, 'm'));
    }
  });
}

test('a Function applies once its CRD is in; kubectl get lists it and kubectl delete removes it', { skip }, async (t) => {
  const { fake, env } = await cluster(t);
  await ok(env, ['apply', '--validate=false', '-f', join(k8sDir, 'crds', 'functions.isola.dev.yaml')]);
  // Not `kubectl create namespace`: typed commands send protobuf, which the fake does not read.
  await ok(env, ['apply', '--validate=false', '-f', '-'], stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'isola' } }));
  const fn = {
    apiVersion: 'isola.dev/v1alpha1',
    kind: 'Function',
    metadata: { name: 'hello', namespace: 'isola' },
    spec: { main: 'index.js', source: { inline: { files: { 'index.js': 'export default { fetch() { return new Response("hi") } }' } } } },
  };
  assert.match(await ok(env, ['apply', '--validate=false', '-f', '-'], stringify(fn)), /^function\.isola\.dev\/hello created$/m);
  assert.deepEqual(fake.getObject('isola.dev/v1alpha1', 'Function', 'isola', 'hello')?.['spec'], fn.spec);
  assert.match(await ok(env, ['apply', '--validate=false', '-f', '-'], stringify(fn)), /^function\.isola\.dev\/hello unchanged$/m);

  const table = await ok(env, ['get', 'functions', '-n', 'isola']);
  assert.match(table, /^NAME\s+VERSION\s+READY\s+REASON\s+AGE\nhello\s+\d+s\n$/);
  fake.putObject({
    ...(fake.getObject('isola.dev/v1alpha1', 'Function', 'isola', 'hello') as K8sObject),
    status: { version: 3, conditions: [{ type: 'Ready', status: 'True', reason: 'Deployed', message: '', lastTransitionTime: new Date().toISOString() }] },
  });
  assert.match(await ok(env, ['get', 'isolafn', '-n', 'isola']), /^hello\s+3\s+True\s+Deployed\s+\d+s$/m, 'printer columns come from the CRD');

  assert.match(await ok(env, ['delete', 'function', 'hello', '-n', 'isola']), /"hello" deleted/);
  assert.equal(fake.getObject('isola.dev/v1alpha1', 'Function', 'isola', 'hello'), undefined);
  const after = await kubectl(env, ['get', 'functions', '-n', 'isola']);
  assert.equal(after.code, 0);
  assert.match(after.stderr, /No resources found/);
});
